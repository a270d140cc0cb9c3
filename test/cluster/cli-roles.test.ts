import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { natsConnect, until } from './helpers.ts';
import { SAFESTAR_BIN, sigkill, spawnArgs, type Proc } from './procs.ts';

const run = promisify(execFile);

/** Cluster roles are started from the same CLI as the embedded hub: `safestar hub worker|ingress`. */
describe('safestar hub worker / hub ingress (real processes)', () => {
  let cluster: NatsCluster;
  let db: TempDatabase;
  let pool: pg.Pool;
  const procs: Proc[] = [];
  const data = mkdtempSync(join(tmpdir(), 'ss-cli-roles-'));

  beforeAll(async () => {
    [cluster, db] = await Promise.all([startNatsCluster({ size: 3 }), createTempDatabase('ss_cli_roles')]);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const nc = await natsConnect(cluster.servers);
    await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
    await nc.close();
  }, 120_000);
  afterAll(async () => {
    for (const p of procs) await sigkill(p);
    await pool?.end();
    await db?.drop();
    await cluster?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  it('a worker from flags, an ingress from env + flags; both ready; the worker serves its API and owns the partitions', async () => {
    const w = await spawnArgs('worker', [SAFESTAR_BIN, 'hub', '--api-port', '0', 'worker', '--id', 'cli-w1', '--nats', cluster.servers.join(','), '--pg', db.url, '--partitions', '8'], {
      SAFESTAR_DEPARTMENT_TOKENS: 'police:cli-roles-police-token-1',
    });
    procs.push(w);
    expect(w.ready).toMatchObject({ ready: true, id: 'cli-w1' });
    const health = (await (await fetch(`${w.ready['api']}/health`)).json()) as { worker: string };
    expect(health.worker).toBe('cli-w1');
    await until(async () => Number((await pool.query("SELECT count(*) AS n FROM partition_leases WHERE owner = 'cli-w1'")).rows[0].n) === 8, 30_000, 'the worker owning all 8 partitions');
    const i = await spawnArgs('ingress', [SAFESTAR_BIN, 'hub', '--mqtt-port', '0', '--insecure-dev', '--data', data, 'ingress', '--id', 'cli-i1', '--partitions', '8'], {
      SAFESTAR_CLUSTER_NATS: cluster.servers.join(','),
      SAFESTAR_CLUSTER_PG: db.url,
    });
    procs.push(i);
    expect(String(i.ready['url'])).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a worker from --config JSON (the hub command has a --config of its own: the role must still get it)', async () => {
    const cfg = { id: 'cli-w2', nats: cluster.servers, pg: db.url, partitions: 8, replicas: 3 };
    const w = await spawnArgs('worker', [SAFESTAR_BIN, 'hub', 'worker', '--config', JSON.stringify(cfg)], {});
    procs.push(w);
    expect(w.ready).toMatchObject({ ready: true, id: 'cli-w2' });
    await until(async () => Number((await pool.query("SELECT count(*) AS n FROM partition_leases WHERE owner = 'cli-w2'")).rows[0].n) > 0, 60_000, 'cli-w2 owning partitions');
  });

  it('refuses to start without settings, and an ingress without edge credentials', async () => {
    const env = { ...process.env, SAFESTAR_CLUSTER_NATS: '', SAFESTAR_CLUSTER_PG: '', SAFESTAR_CLUSTER_ID: '' };
    const bare = await run(process.execPath, [SAFESTAR_BIN, 'hub', 'worker'], { env }).then(() => undefined, (e: { stderr: string; code: number }) => e);
    expect(bare?.code).toBe(1);
    expect(bare?.stderr).toMatch(/SS_CLUSTER_CONFIG/);
    const noCreds = await run(process.execPath, [SAFESTAR_BIN, 'hub', '--data', data, 'ingress', '--id', 'x', '--nats', cluster.servers.join(','), '--pg', db.url], { env }).then(() => undefined, (e: { stderr: string; code: number }) => e);
    expect(noCreds?.code).toBe(1);
    expect(noCreds?.stderr).toMatch(/SS_HUB_NO_CREDENTIALS/);
  });
});
