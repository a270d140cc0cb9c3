import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { publishCase, type CaseMessage } from '../../hub/cluster/case-message.ts';
import { CityCalibrator, reportReview } from '../../hub/cluster/city-calibration.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { PartitionRating } from '../../hub/cluster/partition-rating.ts';
import { partitionOf } from '../../hub/cluster/partition.ts';
import { PgPartitionState } from '../../hub/cluster/state.ts';
import { offsetOf, type ReviewOffsets } from '../../hub/index/calibration.ts';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import type { Policy } from '../../hub/policy/policy-schema.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { INITIAL_RATING_STATE, type RatingState } from '../../hub/index/rating.ts';
import { lastReviewAtOrBefore } from '../../hub/policy/time.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import { StateDb, type CompoundRow, type DeviceRow } from '../../hub/store/stateDb.ts';
import type { Event } from '../../protocol/event.ts';
import { startClusterBase, startWorkers, type ClusterBase, type WorkerSet } from './fixtures.ts';
import { until } from './helpers.ts';

const PARTITIONS = 8;
const DAY = 86_400_000;
/** A fixed instant (tests never depend on today's date): mid-March 2027, Beijing morning. */
const C0 = Date.UTC(2027, 2, 10, 2, 0, 0);

/** The shipped policy with a city small enough for a test: 30 compounds, calibrated from 20 rated. */
function smallCityPolicy(): Policy {
  const p = defaultPolicy();
  return { ...p, review: { ...p.review, calibration: { ...p.review.calibration!, minCompounds: 20 } } };
}

/**
 * The review's city calibration in cluster mode (issue 13 follow-up): every partition owner
 * reports its compounds' entries, one coordinator computes the offset once, the owners apply it.
 * Two workers in this process on a real NATS cluster and PostgreSQL; the result must be the
 * embedded hub's (same offsets, same stars) for the same inputs.
 */
describe('cluster mode: a review is city-calibrated across partitions like the single hub', () => {
  let base: ClusterBase;
  let set: WorkerSet;
  let pool: pg.Pool;
  let nc: NatsConnection;
  let clock = C0;
  const policy = smallCityPolicy();
  const compounds: CompoundRow[] = Array.from({ length: 30 }, (_, i) => ({ id: `k${String(i).padStart(3, '0')}`, name: `K ${i}`, district: `d${i % 3}`, households: 200 + (i % 5) * 60, lat: null, lon: null }));
  // Heartbeat far longer than the month the test jumps: every device heard stays online.
  const devices: DeviceRow[] = compounds.flatMap((c) => [0, 1].map((d) => ({ id: `${c.id}-g${d}`, compound: c.id, kind: 'fence', profile: null, heartbeat_s: 100 * 86_400 })));

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_calib' });
    ({ pool, nc } = base);
    await new PgStateStore(pool).addLearned(compounds, devices);
    set = await startWorkers(base, { ids: ['wa', 'wb'], partitions: PARTITIONS, worker: { leaseTtlMs: 3000, tickMs: 500, ackWaitMs: 4000, reviewMs: 400, policy, now: () => clock } });
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
    await base?.stop();
  });

  const states = async (): Promise<Map<string, { stars: number | null; state: RatingState }>> =>
    new Map((await pool.query<{ compound: string; stars: number | null; state: RatingState }>('SELECT compound, stars, state FROM compound_ratings')).rows.map((r) => [r.compound, r]));
  const reviewedAt = async (t: number): Promise<boolean> => {
    const s = await states();
    return compounds.every((c) => s.get(c.id)?.state.lastReviewAt === t);
  };

  it('a month later the offset is the single hub’s, computed once, and every compound’s stars equal a single-hub replay', async () => {
    // The first list (the review before C0) with nothing heard: calibrated too (no compound rated: offset 0).
    const t1 = lastReviewAtOrBefore(policy.review, policy.timezoneOffsetMinutes, C0)!;
    await until(() => reviewedAt(t1), 30_000, 'the first review applied on every compound');
    const first = (await pool.query<{ offsets: ReviewOffsets }>('SELECT offsets FROM review_calibrations WHERE review_at = $1', [t1])).rows[0]!.offsets;
    expect(first).toEqual({ at: t1, city: 0, districts: {}, rated: 0 });

    // Inputs at C0: every device heard, a spread of cases (none on a third of the city).
    const events: Event[] = devices.map((d, i) => {
      const c = compounds.find((x) => x.id === d.compound)!;
      return { v: 1, id: `hb-${d.id}`, deviceTime: C0 - 60_000 + i, receivedAt: C0 - 60_000 + i, district: c.district, compound: c.id, edge: 'edge-k', device: d.id, kind: 'fence', type: 'heartbeat', severity: 'info', attributes: {} } as Event;
    });
    await new JetStreamIngress(jetstream(nc), { partitions: PARTITIONS }).publishBatch('edge-k', JSON.stringify({ v: 1, edge: 'edge-k', events }));
    // Chosen so the offset lands inside the cap (-4.16) and district d1 is lifted (-3.86).
    const cats = ['ebike-theft', 'other-theft', 'fraud-victim', 'neighbour-dispute'];
    const cases: CaseMessage['case'][] = [];
    compounds.forEach((c, i) => {
      for (let k = 0; k < ((i * 5) % 6) + (i % 3 === 0 ? 1 : 0); k++) {
        const occurredAt = C0 - (10 + 7 * k + i) * DAY;
        cases.push({ id: `case-${c.id}-${k}`, department: 'police', category: cats[(i + k) % cats.length]!, compound: c.id, occurredAt, registeredAt: occurredAt + 3_600_000, status: 'registered', postedBy: 'police', receivedAt: C0 });
      }
    });
    for (const c of cases) await publishCase(jetstream(nc), c, PARTITIONS);
    await until(async () => Number((await pool.query('SELECT count(*)::int AS n FROM device_last_seen')).rows[0].n) === devices.length && Number((await pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n) === cases.length, 30_000, 'events and cases applied by the owners');

    // A month on: the next review is due; its calibration needs every partition.
    clock = C0 + 32 * DAY;
    const t2 = lastReviewAtOrBefore(policy.review, policy.timezoneOffsetMinutes, clock)!;
    expect(t2).toBeGreaterThan(C0);
    await until(() => reviewedAt(t2), 60_000, 'the month’s review applied on every compound');

    const rows = (await pool.query<{ offsets: ReviewOffsets; partitions: number[]; missing: number[]; coordinator: string }>('SELECT offsets, partitions, missing, coordinator FROM review_calibrations WHERE review_at = $1', [t2])).rows;
    expect(rows).toHaveLength(1);
    const cal = rows[0]!;
    expect(cal.missing).toEqual([]);
    expect(cal.partitions).toEqual([...new Set(compounds.map((c) => partitionOf(c.id, PARTITIONS)))].sort((a, b) => a - b));
    const reports = (await pool.query<{ partition: number; owner: string; epoch: string }>('SELECT partition, owner, epoch FROM review_reports WHERE review_at = $1', [t2])).rows;
    expect(new Set(reports.map((r) => r.owner))).toEqual(new Set(['wa', 'wb']));
    expect(Number((await pool.query("SELECT count(*)::int AS n FROM audit WHERE action = 'calibrate' AND (detail::jsonb->>'review')::bigint = $1", [t2])).rows[0].n)).toBe(1);

    // The single hub, fed the same inputs at the same instants.
    const dir = mkdtempSync(join(tmpdir(), 'ss-calib-replay-'));
    const state = new StateDb(join(dir, 'state.db'));
    state.addLearned(compounds, devices);
    let replayClock = C0;
    const engine = new IndexRating({ state, now: () => replayClock }, { manual: true, policy });
    engine.onEvents(events);
    for (const c of cases) engine.recordCase(c);
    replayClock = clock;
    engine.tick();
    const single = JSON.parse(engine.ratings.getMeta(`calibration:${t2}`) as string) as ReviewOffsets;
    const replay = new Map(engine.list().map((r) => [r.id, r.stars]));
    engine.close();
    state.close();
    rmSync(dir, { recursive: true, force: true });

    expect(cal.offsets).toEqual(single);
    // Not a trivial case: the whole city is rated, its five-star share needed an offset inside
    // the cap, and one district was lifted to the district floor on top of it.
    expect(single.rated).toBe(compounds.length);
    expect(single.city).not.toBe(0);
    expect(Math.abs(single.city)).toBeLessThan(policy.review.calibration!.maxOffsetPoints);
    expect(Object.keys(single.districts).length).toBeGreaterThan(0);
    const s = await states();
    expect(new Map(compounds.map((c) => [c.id, s.get(c.id)?.stars ?? null]))).toEqual(new Map(compounds.map((c) => [c.id, replay.get(c.id) ?? null])));
    // Each rated compound's review ran with its district's offset (unrated ones keep none).
    for (const c of compounds) {
      const st = s.get(c.id)!.state;
      if (st.runs.at(-1)?.at === t2) expect(st.offset ?? 0, c.id).toBe(offsetOf(single, c.district));
    }
    expect(new Set([...s.values()].map((r) => r.stars)).size).toBeGreaterThan(1);

    // Idempotent: a re-run computes nothing; a partition's new owner adopts it and reports nothing.
    expect(await new CityCalibrator(pool, { policy, partitions: PARTITIONS, owner: 'again', now: () => clock }).run()).toBeUndefined();
    const p = partitionOf(compounds[0]!.id, PARTITIONS);
    const c = await pool.connect();
    try {
      const fresh = await PartitionRating.load(c, policy, p, PARTITIONS, 'new-owner', clock);
      expect(fresh.uncalibrated(clock)).toEqual([]);
      expect(await reportReview(c, fresh, { partition: p, epoch: 999 }, 'new-owner', clock)).toBeUndefined();
    } finally {
      c.release();
    }
    expect(Number((await pool.query('SELECT count(*)::int AS n FROM review_calibrations')).rows[0].n)).toBe(2);
  });
});

/** The coordinator and the reports on their own (PostgreSQL only): one result, late partitions, the fence. */
describe('city calibration: one coordinator, a grace for late partitions, fenced reports', () => {
  let db: TempDatabase;
  let pool: pg.Pool;
  const policy = smallCityPolicy();
  const P = 4;
  const T = Date.UTC(2027, 3, 30, 16, 0, 0);

  beforeAll(async () => {
    db = await createTempDatabase('ss_calib_coord');
    pool = new pg.Pool({ connectionString: db.url, max: 6 });
    await migratePg(pool);
    // Compounds on partitions 0..3 (some of each).
    const rows: CompoundRow[] = [];
    for (let i = 0; rows.length < 24; i++) {
      const id = `q${i}`;
      if (rows.filter((r) => partitionOf(r.id, P) === partitionOf(id, P)).length < 6) rows.push({ id, name: id, district: `d${i % 2}`, households: 300, lat: null, lon: null });
    }
    await new PgStateStore(pool).addLearned(rows, []);
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  /** A rated entry with a base index `x` (a review reads only these fields). */
  const entry = (district: string, x: number) => ({ district, state: INITIAL_RATING_STATE, ev: { at: T, rated: true, baseIndex: x, bandStars: x >= 90 ? 5 : x >= 80 ? 4 : 3, gates: { noVeto: true, onlineRate: true }, veto: null, downgradeStars: 0 } });
  const report = (review: number, partition: number, at: number) =>
    pool.query('INSERT INTO review_reports (review_at, partition, owner, epoch, entries, reported_at) VALUES ($1, $2, $3, 1, $4, $5)', [review, partition, `w${partition}`, JSON.stringify(Array.from({ length: 6 }, (_, k) => entry(`d${k % 2}`, 84 + k + partition))), at]);
  const calibrator = (owner: string, now: number, graceMs = 60_000) => new CityCalibrator(pool, { policy, partitions: P, owner, now: () => now, graceMs });

  it('waits for every partition, then exactly one of two racing coordinators stores it; a re-run adds nothing', async () => {
    for (const p of [0, 1, 2]) await report(T, p, T);
    expect(await calibrator('a', T + 1000).run()).toBeUndefined(); // partition 3 has not reported, grace not over
    await report(T, 3, T + 2000);
    const [a, b] = await Promise.all([calibrator('a', T + 3000).run(), calibrator('b', T + 3000).run()]);
    expect([a, b].filter((x) => x !== undefined)).toHaveLength(1);
    const stored = (await pool.query<{ offsets: ReviewOffsets; missing: number[] }>('SELECT offsets, missing FROM review_calibrations WHERE review_at = $1', [T])).rows;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.offsets).toEqual(a ?? b);
    expect(stored[0]!.missing).toEqual([]);
    expect((a ?? b)!.rated).toBe(24);
    expect(await calibrator('c', T + 4000).run()).toBeUndefined();
    expect(Number((await pool.query("SELECT count(*)::int AS n FROM audit WHERE action = 'calibrate'")).rows[0].n)).toBe(1);
  });

  it('a partition silent past the grace is left out and listed as missing', async () => {
    const T2 = T + 31 * DAY;
    for (const p of [0, 2, 3]) await report(T2, p, T2);
    expect(await calibrator('a', T2 + 59_000).run()).toBeUndefined();
    const o = await calibrator('a', T2 + 60_000).run();
    expect(o?.rated).toBe(18);
    const row = (await pool.query<{ missing: number[]; partitions: number[] }>('SELECT missing, partitions FROM review_calibrations WHERE review_at = $1', [T2])).rows[0]!;
    expect(row).toEqual({ missing: [1], partitions: [0, 2, 3] });
  });

  it('a stale owner’s report is refused by the fence (SS_CLUSTER_FENCED) and leaves no row', async () => {
    const p = 1;
    await pool.query("INSERT INTO partition_leases (partition, owner, epoch, expires_at) VALUES ($1, 'new', 2, now() + interval '1 minute') ON CONFLICT (partition) DO UPDATE SET owner = 'new', epoch = 2", [p]);
    const now = T + 62 * DAY;
    const c = await pool.connect();
    const pr = await PartitionRating.load(c, policy, p, P, 'old', now).finally(() => c.release());
    expect(pr.uncalibrated(now).length).toBeGreaterThan(0);
    const stale = new PgPartitionState(pool, 'old', () => now).fenced({ partition: p, epoch: 1 }, (tx) => reportReview(tx, pr, { partition: p, epoch: 1 }, 'old', now));
    await expect(stale).rejects.toMatchObject({ code: 'SS_CLUSTER_FENCED' });
    const t = pr.uncalibrated(now)[0]!;
    expect(Number((await pool.query('SELECT count(*)::int AS n FROM review_reports WHERE review_at = $1 AND partition = $2', [t, p])).rows[0].n)).toBe(0);
    const fresh = await new PgPartitionState(pool, 'new', () => now).fenced({ partition: p, epoch: 2 }, (tx) => reportReview(tx, pr, { partition: p, epoch: 2 }, 'new', now));
    expect(fresh).toBe(t);
    const row = (await pool.query<{ owner: string; epoch: string; entries: unknown[] }>('SELECT owner, epoch, entries FROM review_reports WHERE review_at = $1 AND partition = $2', [t, p])).rows[0]!;
    expect({ owner: row.owner, epoch: Number(row.epoch), n: row.entries.length }).toEqual({ owner: 'new', epoch: 2, n: 6 });
  });
});
