import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterConsumer } from '../../hub/cluster/deadletters.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { DEAD_LETTER_SUBJECT, partitionOf } from '../../hub/cluster/partition.ts';
import type { PartitionWorker } from '../../hub/cluster/worker.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import { startClusterBase, startWorkers, type ClusterBase, type WorkerSet } from './fixtures.ts';
import { until } from './helpers.ts';

const PARTITIONS = 8;
const TOKEN = 'police-cases-map-token-0123';
const DAY = 86_400_000;

/**
 * Cases, reviews, the map and dead letters in cluster mode, with two workers in this process (real
 * NATS cluster, real PostgreSQL): a case posted to either worker's API is applied by its
 * compound's owner; reviews run per partition on the owner; city reads come from PostgreSQL.
 */
describe('cluster mode: cases reach the owner, reviews per partition, reads from PostgreSQL, dead letters stored', () => {
  let base: ClusterBase;
  let set: WorkerSet;
  let pool: pg.Pool;
  let nc: NatsConnection;
  let workers: PartitionWorker[] = [];
  let urls: string[] = [];
  let clock = Date.now();
  const policy = defaultPolicy();
  const compounds = Array.from({ length: 24 }, (_, i) => `cm${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_cases' });
    ({ pool, nc } = base);
    await new PgStateStore(pool).addLearned(
      compounds.map((id, i) => ({ id, name: `Compound ${id}`, district: `d${i % 3}`, households: 300, lat: 24.5 + i / 100, lon: 118.1 + i / 100 })),
      compounds.map((id) => ({ id: `${id}-gate`, compound: id, kind: 'barrier', profile: null, heartbeat_s: 3600 })),
    );
    set = await startWorkers(base, {
      ids: ['wa', 'wb'],
      partitions: PARTITIONS,
      worker: { leaseTtlMs: 3000, tickMs: 500, ackWaitMs: 4000, reviewMs: 500, policy, now: () => clock },
      api: { policy, tokens: { departments: { police: [TOKEN] }, operators: [] }, now: () => clock },
    });
    ({ workers, urls } = set);
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
    await base?.stop();
  });

  const ownerOf = (compound: string): string => (workers[0]!.owned().some((h) => h.partition === partitionOf(compound, PARTITIONS)) ? 'wa' : 'wb');
  const postCase = (url: string, body: object, token = TOKEN): Promise<Response> =>
    fetch(`${url}/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

  it('a case posted to the worker that does not own its compound is applied by the owner, and the answer carries the new stars', async () => {
    // Every compound rated by its owner on claim (devices unheard, no survey: unrated until data).
    await until(async () => Number((await pool.query('SELECT count(*) AS n FROM compound_ratings')).rows[0].n) === compounds.length, 30_000, 'every compound rated by its owner');
    const target = compounds.find((c) => ownerOf(c) === 'wb')!;
    const viaA = urls[0]!; // wa does not own `target`
    const occurredAt = clock - 10 * DAY;
    const r = await postCase(viaA, { id: 'case-burglary-1', department: 'police', category: 'burglary', compound: target, occurredAt, registeredAt: occurredAt + 3600_000, status: 'registered' });
    expect(r.status).toBe(201);
    const body = (await r.json()) as { result: string; partition: number; compounds: Array<{ id: string; stars: number | null }> };
    expect(body.result).toBe('created');
    expect(body.partition).toBe(partitionOf(target, PARTITIONS));
    const row = (await pool.query<{ epoch: string; partition: number }>('SELECT epoch, partition FROM cases WHERE id = $1', ['case-burglary-1'])).rows[0]!;
    const lease = (await pool.query<{ owner: string; epoch: string }>('SELECT owner, epoch FROM partition_leases WHERE partition = $1', [row.partition])).rows[0]!;
    expect({ owner: lease.owner, epoch: lease.epoch }).toEqual({ owner: 'wb', epoch: row.epoch });
    const rating = (await pool.query<{ owner: string; stars: number | null }>('SELECT owner, stars FROM compound_ratings WHERE compound = $1', [target])).rows[0]!;
    expect(rating.owner).toBe('wb');
    expect(body.compounds[0]).toMatchObject({ id: target, stars: rating.stars });
    expect(workers[1]!.stats.cases).toBe(1);
    expect(workers[0]!.stats.cases).toBe(0);

    // The same post again (to the other worker): unchanged, nothing applied twice; a correction is version 2.
    const again = await postCase(urls[1]!, { id: 'case-burglary-1', department: 'police', category: 'burglary', compound: target, occurredAt, registeredAt: occurredAt + 3600_000, status: 'registered' });
    expect([200, 201]).toContain(again.status);
    expect(Number((await pool.query('SELECT version FROM cases WHERE id = $1', ['case-burglary-1'])).rows[0].version)).toBe(1);
    const fix = await postCase(viaA, { id: 'case-burglary-1', department: 'police', category: 'burglary', compound: target, occurredAt, registeredAt: occurredAt + 3600_000, status: 'withdrawn' });
    expect(fix.status).toBe(200);
    expect(((await fix.json()) as { result: string }).result).toBe('updated');
  });

  it('refuses what the embedded hub refuses: no token, unknown compound, a category the department may not post', async () => {
    const ok = { id: 'case-x', department: 'police', category: 'burglary', compound: compounds[0], occurredAt: clock - DAY, registeredAt: clock - DAY, status: 'registered' };
    expect((await fetch(`${urls[0]}/api/cases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ok) })).status).toBe(401);
    expect((await postCase(urls[0]!, ok, 'wrong-token-wrong-token-1')).status).toBe(401);
    const unknown = await postCase(urls[0]!, { ...ok, compound: 'no-such-compound' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { code: string }).code).toBe('SS_CASE_UNKNOWN_COMPOUND');
    const court = await postCase(urls[0]!, { ...ok, department: 'court' });
    expect(court.status).toBe(403);
    expect(Number((await pool.query("SELECT count(*) AS n FROM cases WHERE id = 'case-x'")).rows[0].n)).toBe(0);
  });

  it('reviews run per partition on its owner (a month later every compound is reviewed, each by its owner)', async () => {
    const before = Number((await pool.query("SELECT max(id) AS m FROM audit")).rows[0].m ?? 0);
    clock += 32 * DAY; // past the next monthly review
    await until(async () => Number((await pool.query("SELECT count(DISTINCT detail::jsonb->>'compound') AS n FROM audit WHERE id > $1 AND action = 'rate' AND detail::jsonb->>'trigger' = 'review'", [before])).rows[0].n) === compounds.length, 30_000, 'every compound reviewed');
    const rows = (await pool.query<{ partition: number; owner: string; epoch: string; detail: string }>("SELECT a.partition, a.owner, a.epoch, a.detail FROM audit a WHERE a.id > $1 AND a.action = 'rate'", [before])).rows;
    const leases = new Map((await pool.query<{ partition: number; owner: string; epoch: string }>('SELECT partition, owner, epoch FROM partition_leases')).rows.map((l) => [l.partition, l]));
    for (const r of rows) {
      const compound = (JSON.parse(r.detail) as { compound: string }).compound;
      expect(r.partition).toBe(partitionOf(compound, PARTITIONS));
      expect({ owner: r.owner, epoch: r.epoch }).toEqual({ owner: leases.get(r.partition)!.owner, epoch: leases.get(r.partition)!.epoch });
    }
    expect(new Set(rows.map((r) => r.owner))).toEqual(new Set(['wa', 'wb']));
  });

  it('the compounds list and the map come from PostgreSQL: either worker shows the whole city', async () => {
    const lists = await Promise.all(urls.map(async (u) => (await (await fetch(`${u}/api/compounds`)).json()) as Array<{ id: string; stars: number | null; lat: number | null }>));
    expect(lists[0]!.map((c) => c.id)).toEqual(compounds);
    expect(lists[1]).toEqual(lists[0]);
    const pgStars = new Map((await pool.query<{ compound: string; stars: number | null }>('SELECT compound, stars FROM compound_ratings')).rows.map((r) => [r.compound, r.stars]));
    for (const c of lists[0]!) expect(c.stars).toBe(pgStars.get(c.id) ?? null);
    expect(lists[0]!.every((c) => c.lat !== null)).toBe(true);
    const map = (await (await fetch(`${urls[1]}/api/map?district=d1`)).json()) as { points: Array<{ id: string; district: string }>; district: string };
    expect(map.district).toBe('d1');
    expect(map.points.map((p) => p.id).sort()).toEqual(compounds.filter((_, i) => i % 3 === 1));
  });

  it('dead letters published on ss.dl are stored once in PostgreSQL, also across a consumer that died before its ack', async () => {
    const ingress = new JetStreamIngress(jetstream(nc), { partitions: PARTITIONS });
    const bad = JSON.stringify({ v: 1, edge: 'edge-dl', events: [{ v: 1, id: 'x' }, { nope: true }] });
    const r = await ingress.publishBatch('edge-dl', bad);
    expect(r.deadLetters).toBe(2);
    await ingress.publishBatch('edge-dl', '{not json');
    await jetstream(nc).publish(DEAD_LETTER_SUBJECT, 'garbage that no ingress wrote', { msgID: 'dl-garbage-1' });
    const count = async (): Promise<number> => Number((await pool.query("SELECT count(*) AS n FROM deadletters WHERE stream_seq IS NOT NULL")).rows[0].n);

    const first = new DeadLetterConsumer(nc, pool);
    await first.start();
    await until(async () => (await count()) >= 4, 30_000, 'dead letters stored');
    await first.stop();
    const stored = await count();
    expect(stored).toBe(4); // 2 invalid events + 1 bad envelope + 1 unreadable message
    // Redelivery of everything (a consumer reset) adds nothing: the (stream seq, item) key holds.
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete('SS_EVENTS', 'ss-deadletters');
    const second = new DeadLetterConsumer(nc, pool);
    await second.start();
    await until(() => second.stats.messages >= 3, 30_000, 'the second consumer re-reading the dead letters');
    await second.stop();
    expect(await count()).toBe(stored);
    const reasons = (await pool.query<{ reason: string; edge: string }>('SELECT reason, edge FROM deadletters WHERE stream_seq IS NOT NULL ORDER BY id')).rows;
    expect(reasons.map((x) => x.reason)).toEqual(expect.arrayContaining(['SS_DL_EVENT_INVALID', 'SS_DL_JSON']));
  });
});
