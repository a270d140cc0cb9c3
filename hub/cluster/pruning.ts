import type pg from 'pg';
import { MAX_PENDING_ALARMS } from '../cases/store.ts';
import { DAY_MS } from '../policy/time.ts';
import { DEAD_LETTERS_KEPT, DEDUPE_RETENTION_MS } from '../store/retention.ts';
import type { Held } from './lease.ts';
import { inTransaction, rollback } from '../store/pg-tx.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * What PostgreSQL forgets, so cluster state does not grow without end (the embedded hub's rules
 * where it has one):
 *
 *  - **Pending alarms**: the embedded hub's rule (CaseStore.prunePendingAlarms): past the newest
 *    MAX_PENDING_ALARMS (200,000) pending alarms of the city the oldest go, oldest occurrence
 *    first, ties by id. Decided alarms are never pruned (confirmed ones score). City-wide, like
 *    the embedded count, so it is one coordinator's job (`pruneCity`, a transaction-scoped
 *    advisory lock), not a partition's: it only deletes rows still pending, and a partition
 *    owner's decision racing it is ordered by the row lock (a decided row no longer matches the
 *    delete; a deleted one is an unknown alarm to the decision, as after the embedded pruning).
 *    Owners keep only confirmed alarms in memory, so nothing they hold goes stale.
 *  - **Review reports** (`review_reports`, one per review and partition, city-calibration.ts):
 *    the embedded hub keeps no such rows (it solves a review in one pass). Kept for
 *    REVIEW_RETENTION_MS (400 days, 13 monthly reviews: a year of "what was the calibration
 *    solved on" for the audit), and past that only while still needed: a report goes when its
 *    review is calibrated and no compound of its partition has that review (or an earlier one)
 *    still due. Deleted by the partition's owner in its fenced review transaction.
 *  - **Review calibrations** (`review_calibrations`; the embedded hub keeps its few rows in meta
 *    for ever): kept REVIEW_RETENTION_MS too, and past that while needed: never the newest (a new
 *    compound's first review may read it), never one with a report left (the coordinator would
 *    take it for a review still to calibrate and solve it again), never one a compound's state
 *    has not reviewed past yet (its owner runs it when it catches up). By the coordinator.
 *  - **Dedupe ids and dead letters**: the embedded hub's defaults (hub/store/retention.ts): ids
 *    are remembered 7 days (by the time the owner first saw them), the newest 100,000 dead
 *    letters kept. By the coordinator; a redelivery older than that is applied again, as in the
 *    embedded hub.
 *
 * Times are the worker's injectable clock (the review times are on it too).
 */
export const REVIEW_RETENTION_MS = 400 * DAY_MS;
/** Rows one pass deletes at most (a backlog goes over a few review ticks, in short transactions). */
const MAX_DELETE = 50_000;
/** Any constant works; the same in every worker (one pruning coordinator at a time). */
const PRUNE_LOCK = 0x5afe9a6;

export interface PruneOptions {
  /** Pending alarms kept city-wide (default MAX_PENDING_ALARMS, the embedded hub's). */
  keepPendingAlarms?: number;
  /** Dedupe ids older than this are forgotten (default DEDUPE_RETENTION_MS, 7 days). */
  dedupeRetentionMs?: number;
  /** Dead letters kept (default DEAD_LETTERS_KEPT, 100,000). */
  deadLettersKept?: number;
  /** Review reports and calibrations younger than this are kept whatever (default REVIEW_RETENTION_MS). */
  reviewRetentionMs?: number;
}

export interface Pruned {
  alarms: number;
  calibrations: number;
  seen: number;
  deadLetters: number;
}

/** The oldest pending alarms past `keep`, deleted (at most MAX_DELETE in one call); returns how many. */
export async function prunePendingAlarms(c: Queryable, keep: number = MAX_PENDING_ALARMS): Promise<number> {
  const r = await c.query(
    `WITH gone AS (
       SELECT event_id FROM alarms WHERE status = 'pending' ORDER BY device_time, event_id
       LIMIT LEAST($2::bigint, GREATEST(0, (SELECT count(*) FROM alarms WHERE status = 'pending') - $1::bigint)))
     DELETE FROM alarms a USING gone WHERE a.event_id = gone.event_id AND a.status = 'pending'`,
    [keep, MAX_DELETE],
  );
  return r.rowCount ?? 0;
}

/** Calibrations past the retention that nothing can read again (see above); returns how many went. */
export async function pruneCalibrations(c: Queryable, now: number, retentionMs: number = REVIEW_RETENTION_MS): Promise<number> {
  const r = await c.query(
    `DELETE FROM review_calibrations k
     WHERE k.review_at < $1::bigint
       AND k.review_at < (SELECT max(review_at) FROM review_calibrations)
       AND NOT EXISTS (SELECT 1 FROM review_reports r WHERE r.review_at = k.review_at)
       AND NOT EXISTS (SELECT 1 FROM compound_ratings x WHERE (x.state->>'lastReviewAt')::bigint < k.review_at)`,
    [now - retentionMs],
  );
  return r.rowCount ?? 0;
}

/**
 * A partition owner's part, in its fenced review transaction: its reports past the retention
 * that are calibrated and older than every review a compound of it still has due
 * (`oldestDue`: PartitionRating.oldestDueReview, undefined when none is due).
 */
export async function pruneReviewReports(c: Queryable, h: Held, oldestDue: number | undefined, now: number, retentionMs: number = REVIEW_RETENTION_MS): Promise<number> {
  const before = Math.min(now - retentionMs, oldestDue ?? Number.MAX_SAFE_INTEGER);
  const r = await c.query(
    `DELETE FROM review_reports r WHERE r.partition = $1 AND r.review_at < $2::bigint
       AND EXISTS (SELECT 1 FROM review_calibrations k WHERE k.review_at = r.review_at)`,
    [h.partition, before],
  );
  return r.rowCount ?? 0;
}

/**
 * The coordinator's pass (any worker; the others skip while one holds the lock): pending alarms,
 * calibrations, dedupe ids, dead letters. One transaction, audited when it deleted anything. Returns undefined when
 * another worker is doing it.
 */
export async function pruneCity(pool: pg.Pool, owner: string, now: number, o: PruneOptions = {}): Promise<Pruned | undefined> {
  return inTransaction<Pruned | undefined>(pool, async (c) => {
    const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [PRUNE_LOCK]);
    if (!lock.rows[0]?.ok) return rollback(undefined);
    const out: Pruned = {
      alarms: await prunePendingAlarms(c, o.keepPendingAlarms ?? MAX_PENDING_ALARMS),
      calibrations: await pruneCalibrations(c, now, o.reviewRetentionMs ?? REVIEW_RETENTION_MS),
      seen: (await c.query('DELETE FROM seen WHERE id IN (SELECT id FROM seen WHERE at < $1 LIMIT $2)', [now - (o.dedupeRetentionMs ?? DEDUPE_RETENTION_MS), MAX_DELETE])).rowCount ?? 0,
      deadLetters: (await c.query('DELETE FROM deadletters WHERE id <= (SELECT max(id) FROM deadletters) - $1', [o.deadLettersKept ?? DEAD_LETTERS_KEPT])).rowCount ?? 0,
    };
    if (out.alarms + out.calibrations + out.seen + out.deadLetters > 0) await c.query(`INSERT INTO audit (owner, action, detail) VALUES ($1, 'prune', $2)`, [owner, JSON.stringify({ ...out, at: now })]);
    return out;
  });
}
