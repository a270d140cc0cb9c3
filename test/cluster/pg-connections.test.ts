import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { startClusterBase, type ClusterBase } from './fixtures.ts';
import { batchPayload, clusterEvent, sleep, until } from './helpers.ts';
import { sigkill, spawnProc, WORKER_MAIN, type Proc } from './procs.ts';

const PARTITIONS = 8;

/**
 * PostgreSQL restarted under a worker, or its backends terminated by an operator: the pooled
 * connections die while idle or lent out. Before, the worker's pools had no 'error' listener and
 * the first dead idle connection crashed the process (an unheard 'error' event).
 */
describe('a worker whose PostgreSQL connections are terminated stays up and carries on (real process)', () => {
  let base: ClusterBase;
  let worker: Proc | undefined;

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_pgconn', poolMax: 2, replicas: 1 });
  });
  afterAll(async () => {
    if (worker) await sigkill(worker);
    await base?.stop();
  });

  const applied = async (): Promise<number> => Number((await base.pool.query<{ n: string | null }>('SELECT sum(events) AS n FROM compound_events')).rows[0]?.n ?? 0);
  const terminate = async (): Promise<number> => {
    const r = await base.pool.query<{ n: number }>("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'safestar-worker wp%'");
    return r.rows[0]?.n ?? 0;
  };

  it('terminated twice, mid-traffic: the process lives, keeps its partitions and applies every acked event once', async () => {
    worker = await spawnProc('wp', WORKER_MAIN, { id: 'wp', nats: base.cluster.servers, pg: base.db.url, partitions: PARTITIONS, replicas: 1, leaseTtlMs: 5000, tickMs: 500, ackWaitMs: 3000 }, {}, 30_000);
    const owned = async () => Number((await base.pool.query<{ n: string }>("SELECT count(*) AS n FROM partition_leases WHERE owner = 'wp' AND expires_at > now()")).rows[0]?.n ?? 0);
    await until(async () => (await owned()) === PARTITIONS, 30_000, 'wp holding every partition');
    const ingress = new JetStreamIngress(jetstream(base.nc), { ackTimeoutMs: 3000, partitions: PARTITIONS });
    let sent = 0;
    const send = async (edge: number, n: number) => {
      for (let i = 0; i < n; i += 20) {
        await ingress.publishBatch(`edge-${edge}`, batchPayload(edge, Array.from({ length: 20 }, (_, k) => clusterEvent(edge, sent + i + k))));
      }
      sent += n;
    };
    await send(1, 200);
    await until(async () => (await applied()) === 200, 30_000, 'the first 200 applied');
    expect(await terminate()).toBeGreaterThan(0);
    await send(1, 200);
    await sleep(500);
    expect(worker.child.exitCode, worker.stderr()).toBeNull();
    expect(await terminate()).toBeGreaterThan(0);
    await send(1, 200);
    await until(async () => (await applied()) >= 600, 60_000, 'every acked event applied');
    await sleep(3500); // a redelivery of anything in flight would land now: none may count twice
    expect(await applied()).toBe(600);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.child.signalCode).toBeNull();
    expect(await owned()).toBe(PARTITIONS);
    expect(worker.stderr()).toMatch(/SS_CLUSTER_PG_CONNECTION/);
  });
});
