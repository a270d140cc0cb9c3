import type pg from 'pg';
import { calibrateReview, type CityEntry, type ReviewOffsets } from '../index/calibration.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { HUB_ERRORS, type HubErrorCode } from '../errors.ts';
import { DEFAULT_CALIBRATION_GRACE_MS } from './config.ts';
import type { Held } from './lease.ts';
import type { PartitionRating, ReportedEntry } from './partition-rating.ts';
import { partitionOf } from './partition.ts';
import type { WorkerLog } from './worker.ts';
import { inTransaction, rollback } from '../store/pg-tx.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The city-wide step of a review in cluster mode (the embedded hub's calibration, calibration.ts,
 * needs every compound of the city; here they are spread over partitions):
 *
 *  1. Each partition owner, in its fenced review transaction, reports its compounds' entries for
 *     the oldest review it (or any other partition, see `pendingReviews`) still needs calibrated:
 *     one `review_reports` row per (review, partition), first write wins. A stale owner's report
 *     is refused by the fence; a new owner finds the row and reports nothing.
 *  2. One coordinator (`CityCalibrator.run`, any worker, serialised by a transaction-scoped
 *     advisory lock) computes the calibration once every partition with compounds has reported,
 *     stores it (`review_calibrations`, keyed by the review) and audits it, all in the lock's
 *     transaction: a coordinator that dies mid-way commits nothing and the next one redoes it;
 *     one that finds the row already there does nothing. The result is a pure function of the
 *     reports, so a re-run could only write the same numbers.
 *  3. Each owner adopts the stored calibration at its next review tick and runs the review with
 *     it (until then the review waits, as in the embedded hub while its calibration is solved),
 *     on the very evaluations its partition reported: the share solved for is the share
 *     published, however long the calibration took (PartitionRating.reviewedAt).
 *
 * Late partitions: a partition that has not reported `graceMs` (ClusterConfig
 * `calibrationGraceMs`, 10 min by default) after the first report of that review (the
 * coordinator's clock) is left out; the calibration is computed from the others and lists
 * it in `missing`. Its compounds then run the review with that offset like every other compound
 * (they just were not in the sample the share was solved on), and its late report is never
 * written: it adopts the stored calibration instead.
 */

/** Any constant works; the same in every worker of a city (only one coordinator at a time). */
const CALIBRATION_LOCK = 0x5afeca1;
const LATE: HubErrorCode = 'SS_CLUSTER_CALIBRATION_LATE';

/** Reviews some partition reported whose calibration is not stored yet, oldest first. */
async function pendingReviews(c: Queryable): Promise<number[]> {
  const r = await c.query<{ review_at: string }>(
    'SELECT DISTINCT review_at FROM review_reports r WHERE NOT EXISTS (SELECT 1 FROM review_calibrations k WHERE k.review_at = r.review_at) ORDER BY review_at',
  );
  return r.rows.map((x) => Number(x.review_at));
}

/**
 * Step 1 and 3 for one partition, inside its owner's fenced transaction: adopt the calibrations
 * now stored, then report the oldest review still waiting (its own due ones and the ones other
 * partitions reported: the embedded hub gathers every compound for a review, due or not).
 * Returns the review reported, if any.
 */
export async function reportReview(c: Queryable, pr: PartitionRating, h: Held, owner: string, now: number): Promise<number | undefined> {
  const own = pr.uncalibrated(now);
  const others = own.length > 0 || pr.compounds().length > 0 ? await pendingReviews(c) : [];
  const wanted = [...new Set([...own, ...others])].filter((t) => !pr.hasCalibration(t)).sort((a, b) => a - b);
  if (wanted.length === 0) return undefined;
  const stored = await c.query<{ offsets: ReviewOffsets }>('SELECT offsets FROM review_calibrations WHERE review_at = ANY($1::bigint[])', [wanted]);
  for (const r of stored.rows) pr.adoptCalibration(r.offsets);
  // Oldest first: a later review's entries need the earlier one run (with its offset).
  const t = wanted.find((x) => !pr.hasCalibration(x));
  if (t === undefined) return undefined;
  const storedReport = async (): Promise<ReportedEntry[] | undefined> => (await c.query<{ entries: ReportedEntry[] }>('SELECT entries FROM review_reports WHERE review_at = $1 AND partition = $2', [t, h.partition])).rows[0]?.entries;
  const done = await storedReport();
  if (done) {
    pr.adoptReport(t, done); // the review runs on what was reported (by a previous owner, too)
    return undefined;
  }
  const ins = await c.query(
    `INSERT INTO review_reports (review_at, partition, owner, epoch, entries, reported_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (review_at, partition) DO NOTHING`,
    [t, h.partition, owner, h.epoch, JSON.stringify(pr.reviewEntries(t, now)), now],
  );
  if ((ins.rowCount ?? 0) === 0) {
    const other = await storedReport();
    if (other) pr.adoptReport(t, other);
    return undefined;
  }
  return t;
}

export interface CalibratorOptions {
  policy: Policy;
  partitions: number;
  /** The worker running it (recorded as the coordinator, in the audit too). */
  owner: string;
  /** A partition not reported this long after a review's first report is left out (ms). Default 10 min (ClusterConfig `calibrationGraceMs`). */
  graceMs?: number;
  now: () => number;
  log?: WorkerLog;
}

export class CityCalibrator {
  constructor(
    private readonly pool: pg.Pool,
    private readonly o: CalibratorOptions,
  ) {}

  /** Partitions that hold at least one compound (an empty partition has nothing to report). */
  private async expected(c: Queryable): Promise<Set<number>> {
    const ids = (await c.query<{ id: string }>('SELECT id FROM compounds')).rows;
    return new Set(ids.map((r) => partitionOf(r.id, this.o.partitions)));
  }

  /**
   * Step 2: compute and store the calibration of the oldest review that is complete (or past
   * its grace). Returns what it stored, undefined when nothing was due or another worker holds
   * the lock (it will do it).
   */
  async run(): Promise<ReviewOffsets | undefined> {
    if (!this.o.policy.review.calibration) return undefined;
    const stored = await inTransaction<{ t: number; offsets: ReviewOffsets; missing: number[] } | undefined>(this.pool, async (c) => {
      const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [CALIBRATION_LOCK]);
      if (!lock.rows[0]?.ok) return rollback(undefined);
      const pending = await pendingReviews(c);
      const t = pending[0];
      if (t === undefined) return rollback(undefined);
      const reports = (await c.query<{ partition: number; entries: CityEntry[]; reported_at: string }>('SELECT partition, entries, reported_at FROM review_reports WHERE review_at = $1 ORDER BY partition', [t])).rows;
      const expected = await this.expected(c);
      const got = new Set(reports.map((r) => r.partition));
      const missing = [...expected].filter((p) => !got.has(p)).sort((a, b) => a - b);
      const first = Math.min(...reports.map((r) => Number(r.reported_at)));
      if (missing.length > 0 && this.o.now() - first < (this.o.graceMs ?? DEFAULT_CALIBRATION_GRACE_MS)) return rollback(undefined);
      const offsets = calibrateReview(this.o.policy, t, reports.flatMap((r) => r.entries));
      await c.query(
        `INSERT INTO review_calibrations (review_at, offsets, partitions, missing, coordinator, computed_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (review_at) DO NOTHING`,
        [t, JSON.stringify(offsets), [...got].sort((a, b) => a - b), missing, this.o.owner, this.o.now()],
      );
      await c.query(`INSERT INTO audit (owner, action, detail) VALUES ($1, 'calibrate', $2)`, [this.o.owner, JSON.stringify({ review: t, city: offsets.city, districts: offsets.districts, rated: offsets.rated, missing })]);
      return { t, offsets, missing };
    });
    if (!stored) return undefined;
    // Logged once committed: a rolled-back calibration was never stored.
    const { t, offsets, missing } = stored;
    this.o.log?.info({ worker: this.o.owner, review: new Date(t).toISOString(), offset: offsets.city, districts: offsets.districts, rated: offsets.rated, missing }, 'index review calibrated (city)');
    if (missing.length > 0) this.o.log?.warn({ worker: this.o.owner, code: LATE, review: new Date(t).toISOString(), missing }, `${LATE}: ${HUB_ERRORS[LATE]}`);
    return offsets;
  }
}
