import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { natsConnect } from './helpers.ts';
import { SAFESTAR_BIN, sigkill, spawnArgs, type Proc } from './procs.ts';

const OPERATOR = 'operator-console-procs-token-0123';

/**
 * The console as `safestar hub worker` serves it (real processes, run-worker's wiring): a login
 * on worker A holds on worker B and on A after A is SIGKILLed and started again; a logout on B
 * ends it on A. Behind a trusted proxy that says https the cookie is Secure.
 */
describe('operator console sessions across real worker processes', () => {
  let cluster: NatsCluster;
  let db: TempDatabase;
  const procs: Proc[] = [];

  beforeAll(async () => {
    [cluster, db] = await Promise.all([startNatsCluster({ size: 3 }), createTempDatabase('ss_console_procs')]);
    const nc = await natsConnect(cluster.servers);
    await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
    await nc.close();
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) await sigkill(p);
    await db?.drop();
    await cluster?.stop();
  });

  const worker = async (id: string): Promise<Proc> => {
    const cfg = { id, nats: cluster.servers, pg: db.url, partitions: 4, replicas: 3, apiPort: 0, trustedProxies: ['127.0.0.1'] };
    const p = await spawnArgs(id, [SAFESTAR_BIN, 'hub', 'worker', '--config', JSON.stringify(cfg)], { SAFESTAR_OPERATOR_TOKENS: OPERATOR });
    procs.push(p);
    return p;
  };
  const api = (p: Proc): string => String(p.ready['api']);

  it('a login on A is honoured on B and by A after a SIGKILL and restart; a logout on B ends it on A', async () => {
    const [a, b] = await Promise.all([worker('cw-a'), worker('cw-b')]);
    const login = await fetch(`${api(a)}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' }, body: JSON.stringify({ token: OPERATOR }) });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/^ss_console=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const { csrf } = (await login.json()) as { csrf: string };
    const overview = async (url: string): Promise<number> => (await fetch(`${url}/api/console/overview`, { headers: { cookie } })).status;
    expect(await overview(api(b))).toBe(200);

    await sigkill(a);
    const a2 = await worker('cw-a');
    expect(await overview(api(a2))).toBe(200);
    const out = await fetch(`${api(b)}/api/console/logout`, { method: 'POST', headers: { cookie, 'x-safestar-csrf': csrf } });
    expect(out.status).toBe(200);
    const after = await fetch(`${api(a2)}/api/console/overview`, { headers: { cookie } });
    expect([after.status, ((await after.json()) as { code: string }).code]).toEqual([401, 'SS_WEB_SESSION']);
  });
});
