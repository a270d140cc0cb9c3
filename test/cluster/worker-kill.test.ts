import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { EVENTS_STREAM } from '../../hub/cluster/partition.ts';
import { alarmOf } from '../../hub/index/alarm-rule.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import type { Event } from '../../protocol/event.ts';
import { startClusterBase, type ClusterBase } from './fixtures.ts';
import { batchPayload, clusterEvent, sleep, until } from './helpers.ts';
import { sigkill, spawnProc, WORKER_MAIN, type Proc } from './procs.ts';

const PARTITIONS = 64;
const LEASE_TTL_MS = 5000;
const policy = defaultPolicy();

/** A worker process (hub/cluster/worker-main.ts), ready when it printed its ready line. */
const spawnWorker = (id: string, cfg: object): Promise<Proc> => spawnProc(id, WORKER_MAIN, { id, ...cfg }, {}, 30_000);

describe('workers own partitions: one SIGKILLed, the other takes over (real processes)', () => {
  let base: ClusterBase;
  let cluster: ClusterBase['cluster'];
  let db: ClusterBase['db'];
  let pool: pg.Pool;
  let nc: NatsConnection;
  const workers: Proc[] = [];

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_wkill', poolMax: 4 });
    ({ cluster, db, pool, nc } = base);
  });
  afterAll(async () => {
    for (const w of workers) await sigkill(w);
    await base?.stop();
  });

  const owners = async (): Promise<Map<string, number>> => {
    const r = await pool.query<{ owner: string; n: number }>('SELECT owner, count(*)::int AS n FROM partition_leases WHERE owner IS NOT NULL AND expires_at > now() GROUP BY owner');
    return new Map(r.rows.map((x) => [x.owner, x.n]));
  };
  const appliedTotal = async (): Promise<number> => Number((await pool.query<{ n: string | null }>('SELECT sum(events) AS n FROM compound_events')).rows[0]?.n ?? 0);

  it('no event lost or applied twice; takeover under 15 s; stream leader killed too', async () => {
    const cfg = { nats: cluster.servers, pg: db.url, partitions: PARTITIONS, replicas: 3, leaseTtlMs: LEASE_TTL_MS, tickMs: 1000, ackWaitMs: 4000 };
    workers.push(await spawnWorker('wa', cfg), await spawnWorker('wb', cfg));
    await until(async () => {
      const o = await owners();
      return o.get('wa') === PARTITIONS / 2 && o.get('wb') === PARTITIONS / 2;
    }, 30_000, 'the two workers holding half of the partitions each');
    const before = await owners();

    const ingress = new JetStreamIngress(jetstream(nc), { ackTimeoutMs: 3000 });
    const EDGES = 40;
    const PER_EDGE = 500;
    const BATCH = 25;
    const acked = new Map<string, Event>();
    const t0 = performance.now();
    const edgeRun = async (edge: number): Promise<void> => {
      for (let from = 0; from < PER_EDGE; from += BATCH) {
        const events = Array.from({ length: BATCH }, (_, k) => clusterEvent(edge, from + k));
        for (;;) {
          try {
            await ingress.publishBatch(`edge-${edge}`, batchPayload(edge, events));
            for (const e of events) acked.set(e.id, e);
            break;
          } catch {
            await sleep(200); // no PUBACK: the edge resends the same batch
          }
        }
        await sleep(5); // an edge's pace, not a flood: the kills land mid-run
      }
    };
    const run = Promise.all(Array.from({ length: EDGES }, (_, i) => edgeRun(i + 1)));

    await until(async () => (await appliedTotal()) >= (EDGES * PER_EDGE) / 4, 60_000, 'a quarter applied');
    const wa = workers[0]!;
    if ((await owners()).get('wa') !== PARTITIONS / 2) console.log('worker logs at the failed check:', workers[0]!.stderr(), workers[1]!.stderr());
    expect((await owners()).get('wa')).toBe(PARTITIONS / 2); // still a live owner of its half, under load
    await sigkill(wa);
    const tKill = performance.now();
    await until(async () => (await owners()).get('wb') === PARTITIONS, 15_000, 'wb to own every partition');
    const takeoverMs = performance.now() - tKill;

    await until(async () => acked.size >= (EDGES * PER_EDGE * 3) / 5, 60_000, 'three fifths acked');
    const leader = await cluster.streamLeader(EVENTS_STREAM);
    await cluster.kill(leader);
    await run;
    const tAcked = performance.now();
    const progress: number[] = [];
    await until(async () => {
      const n = await appliedTotal();
      if (progress.length === 0 || performance.now() - t0 > progress.length * 1000 + (tAcked - t0)) progress.push(n);
      return n >= acked.size;
    }, 60_000, 'every acked event applied');
    const tApplied = performance.now();
    await sleep(LEASE_TTL_MS); // redeliveries of anything in flight would land now: none may count twice

    expect(acked.size).toBe(EDGES * PER_EDGE);
    expect(await appliedTotal()).toBe(acked.size);
    expect(Number((await pool.query('SELECT count(*) AS n FROM seen')).rows[0].n)).toBe(acked.size);
    const perCompound = new Map<string, number>();
    for (const e of acked.values()) perCompound.set(e.compound, (perCompound.get(e.compound) ?? 0) + 1);
    const rows = (await pool.query<{ compound: string; events: string }>('SELECT compound, events FROM compound_events')).rows;
    expect(new Map(rows.map((r) => [r.compound, Number(r.events)]))).toEqual(perCompound);
    // The embedded hub's rule opens them (types the policy weighs); the fleet's fence alarms, one in 50.
    const alarmsExpected = [...acked.values()].filter((e) => alarmOf(policy, e, Number.MAX_SAFE_INTEGER)).length;
    expect(alarmsExpected).toBeGreaterThan(0);
    expect(Number((await pool.query('SELECT count(*) AS n FROM alarms')).rows[0].n)).toBe(alarmsExpected);
    expect(takeoverMs).toBeLessThan(15_000);

    // Audit: per partition, claims carry strictly increasing epochs; every partition wa held was
    // claimed by wb after the kill, never while wa's lease could still run.
    const audit = (await pool.query<{ partition: number; owner: string; epoch: string; action: string }>("SELECT partition, owner, epoch, action FROM audit WHERE action = 'claim' ORDER BY id")).rows;
    const lastEpoch = new Map<number, number>();
    for (const a of audit) {
      const prev = lastEpoch.get(a.partition) ?? 0;
      expect(Number(a.epoch)).toBeGreaterThan(prev);
      lastEpoch.set(a.partition, Number(a.epoch));
    }
    const lease = (await pool.query<{ partition: number; owner: string }>('SELECT partition, owner FROM partition_leases')).rows;
    expect(lease.every((r) => r.owner === 'wb')).toBe(true);

    const events = acked.size;
    console.log(
      `worker kill: ${events} events, wa held ${before.get('wa')} / wb ${before.get('wb')} partitions, takeover ${Math.round(takeoverMs)} ms, ` +
        `stream leader ${leader} killed; all acked in ${Math.round(tAcked - t0)} ms, all applied ${Math.round(tApplied - t0)} ms ` +
        `(≈ ${Math.round(events / ((tApplied - t0) / 1000))} ev/s end to end with both kills); applied after the last ack, per s: ${progress.join(' ')}`,
    );
  });
});
