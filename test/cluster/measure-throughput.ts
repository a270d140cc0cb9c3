/**
 * Measurement, not a test: events/s through ingress → JetStream (R3, 3 local nodes) → worker
 * processes → PostgreSQL, and the workers' CPU per event. Run:
 *   node --import tsx test/cluster/measure-throughput.ts [workers=1] [events=40000]
 * Everything runs on this one box (3 nats-server, PostgreSQL, the workers, this publisher), so
 * the figures are a floor for real machines, not a capacity claim.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { startNatsCluster } from '../../common/nats.ts';
import { createTempDatabase } from '../../common/pg.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { batchPayload, clusterEvent, natsConnect, sleep } from './helpers.ts';

const WORKERS = Number(process.argv[2] ?? 1);
const EVENTS = Number(process.argv[3] ?? 40_000);
const EDGES = 100;
const BATCH = 100;
const CLK_TCK = 100;

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

const cluster = await startNatsCluster({ size: 3 });
const db = await createTempDatabase('ss_measure');
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
const children: ChildProcess[] = [];
try {
  await migratePg(pool);
  const nc = await natsConnect(cluster.servers);
  await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
  const cfg = { nats: cluster.servers, pg: db.url, partitions: 64, replicas: 3, leaseTtlMs: 5000, tickMs: 1000, ackWaitMs: 10_000 };
  for (let i = 0; i < WORKERS; i++) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'hub', 'cluster', 'worker-main.ts'), JSON.stringify({ id: `w${i}`, ...cfg })], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    children.push(child);
    await new Promise<void>((r) => child.stdout!.on('data', (b: Buffer) => b.toString().includes('"ready"') && r()));
  }
  const owned = async (): Promise<number> => Number((await pool.query("SELECT count(*) AS n FROM partition_leases WHERE owner IS NOT NULL AND expires_at > now()")).rows[0].n);
  while ((await owned()) < 64) await sleep(200);
  await sleep(2000); // let a rebalance settle
  const cpu0 = children.map((c) => cpuMs(c.pid!));
  const ingress = new JetStreamIngress(jetstream(nc));
  const perEdge = Math.ceil(EVENTS / EDGES);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: EDGES }, async (_, e) => {
      for (let from = 0; from < perEdge; from += BATCH) {
        const events = Array.from({ length: Math.min(BATCH, perEdge - from) }, (_, k) => clusterEvent(e + 1, from + k));
        await ingress.publishBatch(`edge-${e + 1}`, batchPayload(e + 1, events));
      }
    }),
  );
  const tAcked = performance.now();
  const total = perEdge * EDGES;
  for (;;) {
    const n = Number((await pool.query('SELECT coalesce(sum(events), 0) AS n FROM compound_events')).rows[0].n);
    if (n >= total) break;
    await sleep(50);
  }
  const tDone = performance.now();
  const cpu = children.map((c, i) => cpuMs(c.pid!) - cpu0[i]!);
  const cpuTotal = cpu.reduce((a, b) => a + b, 0);
  console.log(
    JSON.stringify({
      workers: WORKERS,
      events: total,
      ackedPerSec: Math.round(total / ((tAcked - t0) / 1000)),
      endToEndPerSec: Math.round(total / ((tDone - t0) / 1000)),
      workerCpuUsPerEvent: Math.round((cpuTotal * 1000) / total),
      workerCpuMs: cpu.map(Math.round),
    }),
  );
  await nc.close();
} finally {
  for (const c of children) c.kill('SIGKILL');
  await pool.end();
  await db.drop();
  await cluster.stop();
}
