import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { startNatsCluster } from '../../common/nats.ts';
import { createTempDatabase } from '../../common/pg.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { EVENTS_STREAM, partitionConsumer } from '../../hub/cluster/partition.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import type { Event } from '../../protocol/event.ts';
import type { Row } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';

const BIN = fileURLToPath(new URL('../../bin/safestar.js', import.meta.url));
const PARTITIONS = 64;
const EDGES = 100;
const BATCH = 100;
const CLK_TCK = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function event(edge: number, i: number, t0: number): Event {
  const alarm = i % 50 === 0;
  return {
    v: 1, id: `bench-${edge}.${i}`, deviceTime: t0 + i, receivedAt: t0 + i, district: 'd1', compound: `bc${edge}`, edge: `edge-${edge}`, device: `bc${edge}-dev-${i % 5}`,
    kind: 'fence', type: alarm ? 'fence-alarm' : 'heartbeat', severity: alarm ? 'major' : 'info', attributes: {},
  } as Event;
}

interface OneRun {
  eventsPerSec: number;
  cpuUsPerEvent: number;
  load: number;
}

/**
 * One run: a fresh 3-node NATS cluster (R3) and PostgreSQL database, `workers` real worker
 * processes (`safestar hub worker`), then `events` published by this process through the ingress
 * code at full speed; timed until every event is applied in PostgreSQL. CPU is the workers' own
 * (utime + stime from /proc). Everything shares this machine, so it is a floor, not a capacity.
 */
async function oneRun(workers: number, events: number): Promise<OneRun> {
  const cluster = await startNatsCluster({ size: 3 });
  const db = await createTempDatabase('ss_bench_cluster');
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // The database is dropped WITH (FORCE) at the end of the run: an idle client cut off then must not end the bench.
  pool.on('error', () => undefined);
  const children: ChildProcess[] = [];
  try {
    await migratePg(pool);
    const nc = await connect({ servers: cluster.servers, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
    for (let i = 0; i < workers; i++) {
      const cfg = { id: `bw${i}`, nats: cluster.servers, pg: db.url, partitions: PARTITIONS, replicas: 3, leaseTtlMs: 5000, tickMs: 1000, ackWaitMs: 10_000 };
      const child = spawn(process.execPath, [BIN, 'hub', 'worker', '--config', JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LOG_LEVEL: 'warn' } });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (b: Buffer) => b.toString().includes('"ready"') && resolve());
        child.once('exit', (c) => reject(new Error(`SS_BENCH_CLUSTER: worker exited with ${c} before ready`)));
      });
    }
    const share = async (): Promise<number[]> => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM partition_leases WHERE owner IS NOT NULL AND expires_at > now() GROUP BY owner')).rows.map((r) => r.n);
    const fair = Math.ceil(PARTITIONS / workers);
    for (const deadline = performance.now() + 60_000; ; ) {
      const s = await share();
      if (s.length === workers && s.every((n) => n <= fair) && s.reduce((a, b) => a + b, 0) === PARTITIONS) break;
      if (performance.now() > deadline) throw new Error('SS_BENCH_CLUSTER: partitions not balanced in 60 s');
      await sleep(200);
    }
    // Then until every partition's consumer has a pull waiting on the server: a lease is claimed
    // seconds before its consumer is created, has a leader and is pulled (64 R3 consumers at once
    // on this box: 5–7 s). Timed from the claims, that warm-up was the 0.2–8× spread of the
    // per-round ratios: the runs waited for a few late partitions, not for the workers.
    const jsm = await jetstreamManager(nc);
    for (const deadline = performance.now() + 60_000; ; ) {
      const waiting = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => jsm.consumers.info(EVENTS_STREAM, partitionConsumer(p)).then((ci) => ci.num_waiting, () => 0)));
      if (waiting.every((n) => n > 0)) break;
      if (performance.now() > deadline) throw new Error(`SS_BENCH_CLUSTER: ${waiting.filter((n) => n === 0).length} partition consumers not pulling after 60 s`);
      await sleep(200);
    }
    const load = loadavg()[0]!;
    const cpu0 = children.map((c) => cpuMs(c.pid!));
    const ingress = new JetStreamIngress(jetstream(nc));
    const perEdge = Math.ceil(events / EDGES);
    const t0 = performance.now();
    const base = Date.now();
    await Promise.all(
      Array.from({ length: EDGES }, async (_, e) => {
        for (let from = 0; from < perEdge; from += BATCH) {
          const batch = Array.from({ length: Math.min(BATCH, perEdge - from) }, (_, k) => event(e + 1, from + k, base));
          await ingress.publishBatch(`edge-${e + 1}`, JSON.stringify({ v: 1, edge: `edge-${e + 1}`, events: batch }));
        }
      }),
    );
    const total = perEdge * EDGES;
    for (;;) {
      const n = Number((await pool.query('SELECT coalesce(sum(events), 0) AS n FROM compound_events')).rows[0].n);
      if (n >= total) break;
      await sleep(50);
    }
    const secs = (performance.now() - t0) / 1000;
    const cpu = children.reduce((s, c, i) => s + cpuMs(c.pid!) - cpu0[i]!, 0);
    await nc.close();
    return { eventsPerSec: total / secs, cpuUsPerEvent: (cpu * 1000) / total, load };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await pool.end();
    await db.drop();
    await cluster.stop();
  }
}

/**
 * `safestar bench cluster`: 1, 2 and 3 workers, alternating in rounds (1, 2, 3, 1, 2, 3, …) so a
 * change of machine load hits every count alike. Rows: events/s applied end to end per count,
 * its ratio to one worker (per round), and the workers' CPU µs per event.
 */
export async function benchCluster(o: { events: number; rounds: number; counts?: number[]; say: (s: string) => void }): Promise<{ rows: Row[]; summary: Record<string, unknown> }> {
  const counts = o.counts ?? [1, 2, 3];
  const runs = new Map<number, OneRun[]>(counts.map((n) => [n, []]));
  for (let r = 0; r < o.rounds; r++) {
    for (const n of counts) {
      o.say(`cluster: round ${r + 1}/${o.rounds}, ${n} worker(s), ${o.events} events…`);
      runs.get(n)!.push(await oneRun(n, o.events));
    }
  }
  const one = runs.get(counts[0]!)!;
  const rows: Row[] = [];
  const ratios: Record<string, number> = {};
  for (const n of counts) {
    const rs = runs.get(n)!;
    const ratio = summarize(rs.map((x, i) => x.eventsPerSec / one[i]!.eventsPerSec));
    ratios[`w${n}`] = Math.round(ratio.median * 100) / 100;
    rows.push({
      name: `cluster throughput, ${n} worker(s)`, unit: 'ev/s', value: summarize(rs.map((x) => x.eventsPerSec)), ratio: ratio.median,
      loads: rs.map((x) => Math.round(x.load * 10) / 10),
      note: `ratio to ${counts[0]} worker(s) per round: ${ratio.runs.map((x) => x.toFixed(2)).join(' ')} (everything on one machine: 3 NATS nodes, PostgreSQL, the workers, the publisher)`,
    });
    rows.push({ name: `cluster worker CPU per event, ${n} worker(s)`, unit: 'µs', value: summarize(rs.map((x) => x.cpuUsPerEvent)) });
  }
  return { rows, summary: { throughputRatio: ratios } };
}
