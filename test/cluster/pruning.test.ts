import { jetstream } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { publishDecision } from '../../hub/cluster/decision-message.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { partitionOf } from '../../hub/cluster/partition.ts';
import { pruneCalibrations, pruneCity, pruneReviewReports, REVIEW_RETENTION_MS } from '../../hub/cluster/pruning.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { INITIAL_RATING_STATE, type RatingState } from '../../hub/index/rating.ts';
import { lastReviewAtOrBefore, reviewTimes } from '../../hub/policy/time.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import type { CompoundRow, DeviceRow } from '../../hub/store/stateDb.ts';
import type { Event } from '../../protocol/event.ts';
import { startClusterBase, startWorkers, type ClusterBase, type WorkerSet } from './fixtures.ts';
import { until } from './helpers.ts';

const DAY = 86_400_000;

/** The pruning rules on PostgreSQL alone, each "still needed" case next to one that goes. */
describe('PostgreSQL pruning rules (hub/cluster/pruning.ts)', () => {
  let db: TempDatabase;
  let pool: pg.Pool;
  const NOW = Date.UTC(2029, 5, 15, 4, 0, 0);
  const OLD = NOW - REVIEW_RETENTION_MS - 90 * DAY; // months past the retention
  const month = (k: number): number => OLD + k * 30 * DAY;

  beforeAll(async () => {
    db = await createTempDatabase('ss_prune_rules');
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    await migratePg(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const calibration = (t: number) => pool.query("INSERT INTO review_calibrations (review_at, offsets, partitions, missing, coordinator, computed_at) VALUES ($1, $2, '{0}', '{}', 'w', $1)", [t, JSON.stringify({ at: t, city: 0, districts: {}, rated: 0 })]);
  const report = (t: number, partition: number) => pool.query("INSERT INTO review_reports (review_at, partition, owner, epoch, entries, reported_at) VALUES ($1, $2, 'w', 1, '[]', $1)", [t, partition]);
  const rating = (compound: string, lastReviewAt: number | null) =>
    pool.query("INSERT INTO compound_ratings (compound, partition, stars, index, state, evaluated_at, policy_version, owner, epoch) VALUES ($1, 0, 3, 75, $2, 0, 'p', 'w', 1)", [compound, JSON.stringify({ ...INITIAL_RATING_STATE, lastReviewAt } satisfies RatingState)]);
  const calibrations = async (): Promise<number[]> => (await pool.query<{ t: string }>('SELECT review_at AS t FROM review_calibrations ORDER BY review_at')).rows.map((r) => Number(r.t));
  const reports = async (): Promise<string[]> => (await pool.query<{ t: string; p: number }>('SELECT review_at AS t, partition AS p FROM review_reports ORDER BY review_at, partition')).rows.map((r) => `${Number(r.t) === 0 ? 0 : (Number(r.t) - OLD) / (30 * DAY)}@${r.p}`);

  it('a review calibration goes past the retention unless a report of it is left, a compound has not reviewed past it, or it is the newest', async () => {
    for (const k of [0, 1, 2, 3]) await calibration(month(k));
    await calibration(NOW - 20 * DAY); // recent
    await report(month(1), 0); // a report left: the coordinator would take review 1 for one still to calibrate
    await rating('behind', month(2) - 1); // this compound has not run review 2 yet (nor 3)
    await rating('ahead', NOW - 20 * DAY);
    await rating('new', null); // never reviewed: it needs only the newest review
    expect(await pruneCalibrations(pool, NOW)).toBe(1);
    expect(await calibrations()).toEqual([month(1), month(2), month(3), NOW - 20 * DAY]);
    // The compound catches up to review 2 (not 3); the report of review 1 goes: both can go now.
    await pool.query("UPDATE compound_ratings SET state = jsonb_set(state, '{lastReviewAt}', to_jsonb($1::bigint)) WHERE compound = 'behind'", [month(2)]);
    await pool.query('DELETE FROM review_reports');
    expect(await pruneCalibrations(pool, NOW)).toBe(2);
    expect(await calibrations()).toEqual([month(3), NOW - 20 * DAY]);
    // Months later still, with every compound up to date: all but the newest go, that one never.
    await pool.query("UPDATE compound_ratings SET state = jsonb_set(state, '{lastReviewAt}', to_jsonb($1::bigint)) WHERE compound = 'behind'", [NOW - 20 * DAY]);
    expect(await pruneCalibrations(pool, NOW + 3 * REVIEW_RETENTION_MS)).toBe(1);
    expect(await calibrations()).toEqual([NOW - 20 * DAY]);
    expect(await pruneCalibrations(pool, NOW + 3 * REVIEW_RETENTION_MS)).toBe(0);
  });

  it('a partition owner’s reports go past the retention once calibrated and older than every review its compounds still have due; only its own', async () => {
    await pool.query('DELETE FROM review_calibrations');
    for (const k of [0, 1, 2]) await calibration(month(k));
    for (const k of [0, 1, 2, 3]) await report(month(k), 5); // review 3 has no calibration yet
    await report(month(0), 6); // another partition's
    await report(NOW - 20 * DAY, 5); // recent
    await calibration(NOW - 20 * DAY);
    // Its oldest compound still has review 2 due: 0 and 1 go, 2 stays (read when it runs), 3 is uncalibrated.
    expect(await pruneReviewReports(pool, { partition: 5, epoch: 1 }, month(2), NOW)).toBe(2);
    expect(await reports()).toEqual(['0@6', '2@5', '3@5', `${(NOW - 20 * DAY - OLD) / (30 * DAY)}@5`]);
    // Nothing due any more: the calibrated old one goes; the uncalibrated and the recent stay.
    expect(await pruneReviewReports(pool, { partition: 5, epoch: 1 }, undefined, NOW)).toBe(1);
    expect(await reports()).toEqual(['0@6', '3@5', `${(NOW - 20 * DAY - OLD) / (30 * DAY)}@5`]);
  });

  it('pending alarms past the cap go oldest first; one coordinator at a time; audited', async () => {
    await pool.query('DELETE FROM review_calibrations');
    await pool.query('DELETE FROM review_reports');
    for (let i = 0; i < 6; i++) {
      await pool.query("INSERT INTO alarms (event_id, compound, device, type, severity, device_time, partition, owner, epoch, status) VALUES ($1, 'c', 'd', 'fence-alarm', 'major', $2, 0, 'w', 1, $3)", [`al-${i}`, NOW - (10 - i) * DAY, i === 0 ? 'confirmed' : 'pending']);
    }
    const a = await pool.connect();
    try {
      // Another coordinator holds the lock: this one skips.
      await a.query('BEGIN');
      await a.query('SELECT pg_advisory_xact_lock($1)', [0x5afe9a6]);
      expect(await pruneCity(pool, 'w2', NOW, { keepPendingAlarms: 2 })).toBeUndefined();
      await a.query('ROLLBACK');
    } finally {
      a.release();
    }
    expect(await pruneCity(pool, 'w1', NOW, { keepPendingAlarms: 2 })).toEqual({ alarms: 3, calibrations: 0, seen: 0, deadLetters: 0 });
    expect((await pool.query<{ id: string }>('SELECT event_id AS id FROM alarms ORDER BY event_id')).rows.map((r) => r.id)).toEqual(['al-0', 'al-4', 'al-5']);
    const audit = (await pool.query<{ owner: string; detail: string }>("SELECT owner, detail FROM audit WHERE action = 'prune'")).rows;
    expect(audit.map((r) => ({ owner: r.owner, ...JSON.parse(r.detail) }))).toEqual([{ owner: 'w1', alarms: 3, calibrations: 0, seen: 0, deadLetters: 0, at: NOW }]);
    expect(await pruneCity(pool, 'w1', NOW, { keepPendingAlarms: 2 })).toEqual({ alarms: 0, calibrations: 0, seen: 0, deadLetters: 0 });
    expect(Number((await pool.query("SELECT count(*)::int AS n FROM audit WHERE action = 'prune'")).rows[0].n)).toBe(1);
  });

  it('dedupe ids older than the embedded hub’s 7 days are forgotten, the newest 100,000 dead letters kept (both as embedded)', async () => {
    const ids = ['s-old-1', 's-old-2', 's-edge', 's-new'];
    const at = [NOW - 8 * DAY, NOW - 7 * DAY - 1, NOW - 7 * DAY, NOW - DAY];
    await pool.query('INSERT INTO seen (id, at) SELECT * FROM unnest($1::text[], $2::bigint[])', [ids, at]);
    await pool.query("INSERT INTO deadletters (at, edge, reason, detail, raw) SELECT $1, 'e', 'SS_DL_JSON', 'd', 'r' FROM generate_series(1, 100003)", [NOW]);
    const first = Number((await pool.query('SELECT min(id) AS m FROM deadletters')).rows[0].m);
    expect(await pruneCity(pool, 'w1', NOW)).toEqual({ alarms: 0, calibrations: 0, seen: 2, deadLetters: 3 });
    expect((await pool.query<{ id: string }>('SELECT id FROM seen ORDER BY id')).rows.map((r) => r.id)).toEqual(['s-edge', 's-new']);
    expect((await pool.query('SELECT count(*)::int AS n, min(id) AS m FROM deadletters')).rows[0]).toEqual({ n: 100_000, m: String(first + 3) });
  });
});

/**
 * The workers run it: on their review ticks, the partition owners prune their reports, one
 * coordinator the pending alarms past the cap and the calibrations. The clock jumps 15 months.
 */
describe('cluster mode: workers prune pending alarms past the cap and review rows past the retention, keeping what is needed', () => {
  let base: ClusterBase;
  let set: WorkerSet;
  const PARTITIONS = 4;
  const KEEP = 3;
  const C0 = Date.UTC(2027, 4, 20, 2, 0, 0);
  let clock = C0;
  const policy = defaultPolicy();
  const compounds: CompoundRow[] = Array.from({ length: 8 }, (_, i) => ({ id: `pr${i}`, name: `PR ${i}`, district: `d${i % 2}`, households: 300, lat: null, lon: null }));
  const devices: DeviceRow[] = compounds.map((c) => ({ id: `${c.id}-fence`, compound: c.id, kind: 'fence', profile: null, heartbeat_s: 1000 * 86_400 }));

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_prune_workers' });
    await new PgStateStore(base.pool).addLearned(compounds, devices);
    set = await startWorkers(base, { ids: ['wa', 'wb'], partitions: PARTITIONS, worker: { leaseTtlMs: 3000, tickMs: 500, ackWaitMs: 4000, reviewMs: 300, policy, keepPendingAlarms: KEEP, now: () => clock } });
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
    await base?.stop();
  });

  const reviewedAt = async (t: number): Promise<boolean> => {
    const r = (await base.pool.query<{ state: RatingState }>('SELECT state FROM compound_ratings')).rows;
    return r.length === compounds.length && r.every((x) => x.state.lastReviewAt === t);
  };
  const q = async (sql: string, args: unknown[] = []): Promise<number[]> => (await base.pool.query<{ t: string }>(sql, args)).rows.map((r) => Number(r.t));

  it('the pending alarms past the cap go oldest first, a confirmed one stays; 15 months on, reviews older than the retention are gone, the newest stay', async () => {
    const t1 = lastReviewAtOrBefore(policy.review, policy.timezoneOffsetMinutes, C0)!;
    await until(() => reviewedAt(t1), 30_000, 'the first review on every compound');
    // Six fence alarms of pr0..pr5, an hour apart, oldest first. The oldest is confirmed before the
    // others arrive (so the cap is never passed while it is pending): it must outlive them all.
    const events = compounds.slice(0, 6).map((c, i) =>
      ({ v: 1, id: `prune-alarm-${i}`, deviceTime: C0 - (6 - i) * 3_600_000, receivedAt: C0 - (6 - i) * 3_600_000, district: c.district, compound: c.id, edge: 'edge-p', device: `${c.id}-fence`, kind: 'fence', type: 'fence-alarm', severity: 'major', attributes: {} }) as Event,
    );
    const ingress = new JetStreamIngress(jetstream(base.nc), { partitions: PARTITIONS });
    const seen = async (): Promise<number> => Number((await base.pool.query('SELECT count(*)::int AS n FROM seen')).rows[0].n);
    await ingress.publishBatch('edge-p', JSON.stringify({ v: 1, edge: 'edge-p', events: events.slice(0, 1) }));
    await until(async () => (await seen()) === 1, 30_000, 'the first alarm applied');
    await publishDecision(jetstream(base.nc), { alarm: { id: 'prune-alarm-0', compound: 'pr0', status: 'confirmed', by: 'operator', at: C0 } }, PARTITIONS);
    await until(async () => (await q("SELECT count(*) AS t FROM alarms WHERE status = 'confirmed'"))[0] === 1, 30_000, 'the confirmation applied');
    await ingress.publishBatch('edge-p', JSON.stringify({ v: 1, edge: 'edge-p', events: events.slice(1) }));
    await until(async () => (await seen()) === events.length, 30_000, 'the other alarms applied');
    const ids = async (): Promise<string[]> => (await base.pool.query<{ id: string }>('SELECT event_id AS id FROM alarms ORDER BY event_id')).rows.map((r) => r.id);
    await until(async () => (await ids()).length === KEEP + 1, 30_000, 'the pending alarms pruned to the cap');
    expect(await ids()).toEqual(['prune-alarm-0', 'prune-alarm-3', 'prune-alarm-4', 'prune-alarm-5']);

    // 15 months on: every compound runs the reviews in between, each city-calibrated in turn.
    clock = C0 + 456 * DAY;
    const reviews = reviewTimes(policy.review, policy.timezoneOffsetMinutes, t1, clock);
    const latest = reviews.at(-1)!;
    expect(reviews.length).toBeGreaterThanOrEqual(14);
    await until(() => reviewedAt(latest), 120_000, 'every compound at the latest review');
    const cut = clock - REVIEW_RETENTION_MS;
    await until(async () => (await q('SELECT review_at AS t FROM review_calibrations WHERE review_at < $1', [cut])).length === 0 && (await q('SELECT review_at AS t FROM review_reports WHERE review_at < $1', [cut])).length === 0, 30_000, 'the review rows past the retention pruned');
    // The events' dedupe ids (seen at C0) are past the embedded hub's 7 days: forgotten too.
    await until(async () => (await seen()) === 0, 30_000, 'dedupe ids older than 7 days pruned');
    // Every review inside the retention is still there, calibrated once, with a report of every partition with compounds.
    const kept = reviews.filter((t) => t >= cut);
    expect(kept.length).toBeGreaterThanOrEqual(12);
    expect(await q('SELECT review_at AS t FROM review_calibrations ORDER BY review_at')).toEqual(kept);
    const partitions = [...new Set(compounds.map((c) => partitionOf(c.id, PARTITIONS)))].sort((x, y) => x - y);
    expect(partitions.length).toBeGreaterThan(1);
    expect((await base.pool.query<{ p: number }>('SELECT partition AS p FROM review_reports WHERE review_at = $1 ORDER BY partition', [latest])).rows.map((r) => r.p)).toEqual(partitions);
    expect(await q('SELECT DISTINCT review_at AS t FROM review_reports ORDER BY review_at')).toEqual(kept);
    // The pruning passes are in the audit, by the workers.
    const audit = (await base.pool.query<{ owner: string; detail: string }>("SELECT owner, detail FROM audit WHERE action = 'prune'")).rows;
    expect(audit.reduce((n, r) => n + (JSON.parse(r.detail) as { alarms: number }).alarms, 0)).toBe(2);
    expect(audit.reduce((n, r) => n + (JSON.parse(r.detail) as { calibrations: number }).calibrations, 0)).toBe(reviews.length + 1 - kept.length);
    expect(new Set(audit.map((r) => r.owner)).size).toBeGreaterThan(0);
    // The confirmed alarm was never a candidate, and the pending ones left are within the cap.
    expect(await ids()).toEqual(['prune-alarm-0', 'prune-alarm-3', 'prune-alarm-4', 'prune-alarm-5']);
  });
});
