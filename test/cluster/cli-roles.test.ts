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
import { connectAsync } from 'mqtt';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { edgeTopic } from '../../protocol/topics.ts';
import { clusterEvent, natsConnect, until } from './helpers.ts';
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
    const i = await spawnArgs('ingress', [SAFESTAR_BIN, 'hub', '--mqtt-port', '0', '--insecure-dev', 'ingress', '--id', 'cli-i1', '--partitions', '8'], {
      SAFESTAR_CLUSTER_NATS: cluster.servers.join(','),
      SAFESTAR_CLUSTER_PG: db.url,
    });
    procs.push(i);
    expect(String(i.ready['url'])).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
  });

  it("'hub edges add|list|revoke --pg' manage the cluster's edge credentials; an ingress authenticates against them", async () => {
    const cred = await createTempDatabase('ss_cli_creds');
    try {
      const add = await run(process.execPath, [SAFESTAR_BIN, 'hub', 'edges', 'add', 'cli-e1', '--compounds', 'c1,c2', '--pg', cred.url]);
      const secret = add.stdout.trim();
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // the secret alone on stdout, 256 bits
      expect(add.stderr).toMatch(/every ingress/);
      const list = await run(process.execPath, [SAFESTAR_BIN, 'hub', 'edges', 'list', '--pg', cred.url]);
      expect(list.stdout).toMatch(/^cli-e1\tc1,c2\t\d{4}-/);
      expect(list.stdout).not.toContain(secret);
      const i = await spawnArgs('ingress', [SAFESTAR_BIN, 'hub', '--mqtt-port', '0', '--api-port', '0', 'ingress', '--id', 'cli-i2', '--partitions', '8', '--nats', cluster.servers.join(','), '--pg', cred.url], {});
      procs.push(i);
      expect(i.ready['edges']).toBe(1);
      const url = String(i.ready['url']);
      const refused = await connectAsync(url, { clientId: 'cli-e1', username: 'cli-e1', password: 'wrong', reconnectPeriod: 0, connectTimeout: 5000 }).then(() => 'connected', (e: Error) => e.message);
      expect(refused).toMatch(/Bad username or password|Not authorized/i);
      const c = await connectAsync(url, { clientId: 'cli-e1', username: 'cli-e1', password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
      await c.publishAsync(edgeTopic('cli-e1', 'events'), JSON.stringify({ v: 1, edge: 'cli-e1', events: [{ ...clusterEvent(1, 1), edge: 'cli-e1', id: 'cli-e1:1' }] }), { qos: 1 });
      await run(process.execPath, [SAFESTAR_BIN, 'hub', 'edges', 'revoke', 'cli-e1', '--pg', cred.url]);
      // Within the ingress's poll (1 s) the next publish is refused and the session closed.
      let closed = false;
      c.once('close', () => (closed = true));
      await until(async () => {
        if (!closed) void c.publishAsync(edgeTopic('cli-e1', 'events'), JSON.stringify({ v: 1, edge: 'cli-e1', events: [] }), { qos: 1 }).catch(() => undefined);
        return closed;
      }, 20_000, 'the revoked edge disconnected');
      await c.endAsync(true).catch(() => undefined);
      expect(i.stderr()).toMatch(/SS_HUB_EDGE_REVOKED/);
      // The embedded hub's counters, by code, on the ingress's /metrics.
      const metrics = await (await fetch(String(i.ready['metrics']))).text();
      expect(metrics).toMatch(/^safestar_hub_mqtt_refused_total\{code="SS_HUB_EDGE_AUTH"\} 1$/m);
      // (≥ 1: a second publish of the loop may have been in flight when the first was refused)
      expect(metrics).toMatch(/^safestar_hub_mqtt_refused_total\{code="SS_HUB_EDGE_REVOKED"\} [1-9]\d*$/m);
      expect(metrics).toMatch(/^safestar_hub_events_received_total 1$/m);
      const again = await run(process.execPath, [SAFESTAR_BIN, 'hub', 'edges', 'revoke', 'cli-e1', '--pg', cred.url]).then(() => undefined, (e: { stderr: string; code: number }) => e);
      expect(again?.code).toBe(1);
      expect(again?.stderr).toMatch(/SS_HUB_CONFIG: no edge 'cli-e1'/);
    } finally {
      await cred.drop();
    }
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
    // --calibration-grace-ms reaches the validated config (a negative grace is refused by name), as does its variable.
    const bad = ['--id', 'g', '--nats', cluster.servers.join(','), '--pg', db.url];
    const flag = await run(process.execPath, [SAFESTAR_BIN, 'hub', 'worker', ...bad, '--calibration-grace-ms', '-1'], { env }).then(() => undefined, (e: { stderr: string; code: number }) => e);
    expect(flag?.code).toBe(1);
    expect(flag?.stderr).toMatch(/SS_CLUSTER_CONFIG.*calibrationGraceMs/);
    const fromEnv = await run(process.execPath, [SAFESTAR_BIN, 'hub', 'worker', ...bad], { env: { ...env, SAFESTAR_CLUSTER_CALIBRATION_GRACE_MS: '-5' } }).then(() => undefined, (e: { stderr: string; code: number }) => e);
    expect(fromEnv?.code).toBe(1);
    expect(fromEnv?.stderr).toMatch(/SS_CLUSTER_CONFIG.*calibrationGraceMs/);
    // The credentials are the cluster's (PostgreSQL): a credentials.json in --data does not count.
    const none = await createTempDatabase('ss_cli_nocreds');
    try {
      await run(process.execPath, [SAFESTAR_BIN, 'hub', '--data', data, 'edges', 'add', 'file-edge', '--compounds', 'c1']);
      const noCreds = await run(process.execPath, [SAFESTAR_BIN, 'hub', '--data', data, 'ingress', '--id', 'x', '--nats', cluster.servers.join(','), '--pg', none.url], { env }).then(() => undefined, (e: { stderr: string; code: number }) => e);
      expect(noCreds?.code).toBe(1);
      expect(noCreds?.stderr).toMatch(/SS_HUB_NO_CREDENTIALS: no edge credentials in the cluster's PostgreSQL/);
    } finally {
      await none.drop();
    }
  });
});
