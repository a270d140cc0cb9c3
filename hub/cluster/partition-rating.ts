import Database from 'better-sqlite3';
import type pg from 'pg';
import type { Event } from '../../protocol/event.ts';
import type { StoredCase } from '../cases/store.ts';
import type { CityEntry, ReviewOffsets } from '../index/calibration.ts';
import { CompoundRater, lookbackMs, NO_CALIBRATION, type CaseSource, type OffsetsAt, type ReviewedAt } from '../index/compound-rater.ts';
import { alarmOf } from '../index/alarm-rule.ts';
import { DeviceTracker } from '../index/device-tracker.ts';
import { explainPublic } from '../index/explain.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { reviewEvaluationOf, type RatingState, type ReviewEvaluation } from '../index/rating.ts';
import type { ConfirmedAlarm } from '../index/types.ts';
import type { CaseMessage } from './case-message.ts';
import type { AlarmDecision, SurveyEntry } from './decision-message.ts';
import { PgAlarmStore, PgSurveyStore } from './decision-stores.ts';
import type { Held } from './lease.ts';
import { partitionOf } from './partition.ts';
import type { LiveChange } from '../web/live-changes.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

interface CaseRow {
  id: string;
  department: string;
  category: string;
  compound: string;
  occurred_at: string;
  registered_at: string;
  received_at: string;
  status: string;
  posted_by: string;
  version: number;
  updated_at: string;
}

const toCase = (r: CaseRow): StoredCase => ({
  id: r.id,
  department: r.department,
  category: r.category,
  compound: r.compound,
  occurredAt: Number(r.occurred_at),
  registeredAt: Number(r.registered_at),
  receivedAt: Number(r.received_at),
  status: r.status,
  postedBy: r.posted_by,
  version: r.version,
  updatedAt: Number(r.updated_at),
});

/** A compound's part of a review's city calibration, as a partition reports it. */
export interface ReportedEntry extends CityEntry {
  compound: string;
}

export interface RateResult {
  compound: string;
  stars: number | null;
  index: number;
}

/**
 * The safety index of one partition, on the worker that owns it: the same CompoundRater and
 * DeviceTracker as the embedded hub (hub/index), fed from PostgreSQL instead of SQLite. The owner
 * keeps its partition's cases (within the policy's look-back) in memory, so a rating is the same
 * synchronous computation as in one process; every write goes through the caller's fenced
 * transaction. If that transaction fails, the caller drops this object and loads a fresh one: the
 * in-memory state may be ahead of what was committed.
 *
 * Reviews are city-calibrated like the embedded hub's: a review waits until its calibration is
 * known (city-calibration.ts gathers every partition's entries and computes it once).
 *
 * Operator decisions on alarms and surveys arrive on the partition's subject too
 * (decision-message.ts) and are kept in memory like the cases.
 */
export class PartitionRating implements CaseSource {
  private readonly raters = new Map<string, CompoundRater>();
  private readonly cases = new Map<string, StoredCase>();
  /** compound → its cases (a rating reads one compound's; a partition holds many compounds). */
  private readonly byCompound = new Map<string, Map<string, StoredCase>>();
  private readonly tracker = new DeviceTracker(new Database(':memory:'));
  private readonly dirty = new Set<string>();
  /** compound → its confirmed alarms (id → alarm) in the look-back; only confirmed ones score. */
  private readonly confirmed = new Map<string, Map<string, ConfirmedAlarm>>();
  /** compound → its latest resident survey result. */
  private readonly surveys = new Map<string, number>();
  /** compound → the public explanation last written (rewritten when it changes, e.g. a streak's day count). */
  private readonly written = new Map<string, string>();
  /**
   * Compounds whose public view changed in the transaction under way (a rating or its words, an
   * alarm opened or decided): the worker announces them after the commit (live.ts) and drops
   * them with this object if the commit fails.
   */
  private readonly changed = new Map<string, LiveChange['type']>();
  /** The city calibration of each review this partition knows (city-calibration.ts computes them). */
  private readonly calibrations = new Map<number, ReviewOffsets>();
  /** Like the embedded hub: a review waits (undefined) until its city calibration is known. */
  private readonly offsetsAt: OffsetsAt;
  /**
   * review → compound → the evaluation this partition reported for it. The review then runs on
   * exactly what the calibration was solved on, however much later the calibration arrives (the
   * embedded hub solves and reviews in one tick; here a review tick or more apart, and a device
   * heard in between must not make the review differ from the share it was calibrated to).
   */
  private readonly reported = new Map<number, Map<string, ReviewEvaluation>>();
  private readonly reviewedAt: ReviewedAt = (compound, t) => this.reported.get(t)?.get(compound);

  private constructor(
    private readonly policy: Policy,
    readonly partition: number,
    private readonly owner: string,
  ) {
    this.offsetsAt = policy.review.calibration ? (t) => this.calibrations.get(t) : NO_CALIBRATION;
  }

  /** Load compounds, devices, saved ratings, cases and last-seen of one partition. */
  static async load(c: Queryable, policy: Policy, partition: number, partitions: number, owner: string, now: number): Promise<PartitionRating> {
    const pr = new PartitionRating(policy, partition, owner);
    const comps = (await c.query<{ id: string; name: string; district: string; households: number }>('SELECT id, name, district, households FROM compounds')).rows.filter((r) => partitionOf(r.id, partitions) === partition);
    const saved = new Map((await c.query<{ compound: string; stars: number | null; index: number; state: RatingState }>('SELECT compound, stars, index, state FROM compound_ratings WHERE partition = $1', [partition])).rows.map((r) => [r.compound, r]));
    for (const x of comps) {
      const s = saved.get(x.id);
      pr.raters.set(x.id, new CompoundRater(policy, { id: x.id, name: x.name, district: x.district, households: x.households }, s && { state: s.state, stars: s.stars, index: s.index }));
    }
    const ids = comps.map((x) => x.id);
    for (const d of (await c.query<{ id: string; compound: string; heartbeat_s: number }>('SELECT id, compound, heartbeat_s FROM devices WHERE compound = ANY($1::text[])', [ids])).rows) pr.tracker.register(d.id, d.compound, d.heartbeat_s);
    for (const d of (await c.query<{ device: string; compound: string; last_time: string; last_type: string }>('SELECT device, compound, last_time, last_type FROM device_last_seen WHERE partition = $1', [partition])).rows) {
      pr.tracker.seen(d.device, d.compound, d.last_type, Math.min(Number(d.last_time), now));
    }
    const from = now - lookbackMs(policy);
    for (const r of (await c.query<CaseRow>('SELECT * FROM cases WHERE partition = $1 AND occurred_at >= $2', [partition, from])).rows) pr.keep(toCase(r));
    for (const r of (await c.query<{ offsets: ReviewOffsets }>('SELECT offsets FROM review_calibrations')).rows) pr.adoptCalibration(r.offsets);
    // This partition's reports (a previous owner's too) of reviews its compounds have not run yet.
    const oldest = Math.min(...[...pr.raters.values()].map((r) => r.state.lastReviewAt ?? -Infinity));
    for (const r of (await c.query<{ review_at: string; entries: ReportedEntry[] }>('SELECT review_at, entries FROM review_reports WHERE partition = $1 AND review_at > $2', [partition, Number.isFinite(oldest) ? oldest : Number.MIN_SAFE_INTEGER])).rows) {
      pr.adoptReport(Number(r.review_at), r.entries);
    }
    const alarms = await c.query<{ event_id: string; compound: string; type: string; device_time: string; decided_at: string | null }>(
      "SELECT event_id, compound, type, device_time, decided_at FROM alarms WHERE partition = $1 AND status = 'confirmed' AND device_time >= $2",
      [partition, from],
    );
    for (const a of alarms.rows) pr.keepConfirmed({ id: a.event_id, compound: a.compound, type: a.type, occurredAt: Number(a.device_time), confirmedAt: Number(a.decided_at ?? a.device_time) });
    for (const r of (await c.query<{ compound: string; satisfaction: number }>('SELECT compound, satisfaction FROM surveys WHERE compound = ANY($1::text[])', [ids])).rows) pr.surveys.set(r.compound, r.satisfaction);
    return pr;
  }

  adoptCalibration(o: ReviewOffsets): void {
    this.calibrations.set(o.at, o);
  }

  hasCalibration(t: number): boolean {
    return this.calibrations.has(t);
  }

  /** Reviews some compound of this partition has due whose calibration is not known, oldest first (none without a calibration policy). */
  uncalibrated(now: number): number[] {
    if (!this.policy.review.calibration) return [];
    const due = new Set<number>();
    for (const r of this.raters.values()) for (const t of r.dueReviews(now)) if (!this.calibrations.has(t)) due.add(t);
    return [...due].sort((a, b) => a - b);
  }

  /**
   * This partition's part of review `t`'s city calibration, as the embedded hub gathers it for
   * every compound it owns (IndexRating.entryOf): earlier reviews run first, then the state before
   * `t` and the evaluation at `t`, cut to what a review reads.
   */
  reviewEntries(t: number, now: number): ReportedEntry[] {
    const out: ReportedEntry[] = [];
    const evs = new Map<string, ReviewEvaluation>();
    for (const [id, r] of this.raters) {
      const e = r.reviewEntry(this, t, now, this.tracker.onlineRate(id, now), this.offsetsAt, this.reviewedAt);
      const ev = reviewEvaluationOf(e.ev);
      out.push({ compound: id, district: e.district, state: e.state, ev });
      evs.set(id, ev);
    }
    this.reported.set(t, evs);
    return out;
  }

  /** The stored report of review `t` (a previous owner's row stands over one just computed). */
  adoptReport(t: number, entries: readonly ReportedEntry[]): void {
    this.reported.set(t, new Map(entries.map((e) => [e.compound, e.ev])));
  }

  compounds(): string[] {
    return [...this.raters.keys()];
  }

  /** The changes noted since the last call (call it after the commit). */
  takeChanged(): LiveChange[] {
    const out = [...this.changed].map(([compound, type]) => ({ compound, type }));
    this.changed.clear();
    return out;
  }

  /** The earliest review a compound of this partition still has due (its report may be read), if any. */
  oldestDueReview(now: number): number | undefined {
    let min: number | undefined;
    for (const r of this.raters.values()) {
      const t = r.dueReviews(now)[0];
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    return min;
  }

  private keep(c: StoredCase): void {
    const prev = this.cases.get(c.id);
    if (prev) this.byCompound.get(prev.compound)?.delete(c.id);
    this.cases.set(c.id, c);
    let m = this.byCompound.get(c.compound);
    if (!m) this.byCompound.set(c.compound, (m = new Map()));
    m.set(c.id, c);
  }

  casesOf(compound: string, from = -Infinity): StoredCase[] {
    const out: StoredCase[] = [];
    for (const c of this.byCompound.get(compound)?.values() ?? []) if (c.occurredAt >= from) out.push(c);
    return out.sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  }

  private keepConfirmed(a: ConfirmedAlarm): void {
    let m = this.confirmed.get(a.compound);
    if (!m) this.confirmed.set(a.compound, (m = new Map()));
    m.set(a.id, a);
  }

  /** As CaseStore.confirmedAlarmsOf: oldest first, ties by id. */
  confirmedAlarmsOf(compound: string, from = -Infinity): ConfirmedAlarm[] {
    const out = [...(this.confirmed.get(compound)?.values() ?? [])].filter((a) => a.occurredAt >= from);
    return out.sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  }

  surveyOf(compound: string): number | null {
    return this.surveys.get(compound) ?? null;
  }

  /**
   * An operator's decision on one of this partition's alarms: stored with the owner's epoch, kept
   * (confirmed) or dropped (dismissed) in memory, the compound re-rated. An unknown alarm or the
   * same decision again changes nothing.
   */
  async applyAlarmDecision(c: Queryable, h: Held, d: AlarmDecision, now: number): Promise<RateResult[]> {
    const store = new PgAlarmStore(c, h.epoch);
    const prev = await store.get(d.id);
    // Only the alarms the embedded hub opens (types the policy weighs) are decided on.
    if (!prev || prev.status === d.status || !Object.hasOwn(this.policy.iot.weights, prev.type)) return [];
    const a = await store.decide(d.id, d.status, d.at, d.by);
    if (!a) return [];
    this.changed.set(a.compound, 'alarm');
    if (a.status === 'confirmed') this.keepConfirmed({ id: a.id, compound: a.compound, type: a.type, occurredAt: a.occurred_at, confirmedAt: a.decided_at ?? a.occurred_at });
    else this.confirmed.get(a.compound)?.delete(a.id);
    this.raters.get(a.compound)?.invalidate();
    return this.rate(c, h, this.raters.has(a.compound) ? [a.compound] : [], now, `alarm:${a.id}`);
  }

  /** A resident survey result for one of this partition's compounds: stored, kept, re-rated. */
  async applySurvey(c: Queryable, h: Held, s: SurveyEntry, now: number): Promise<RateResult[]> {
    if (!this.raters.has(s.compound)) return [];
    await new PgSurveyStore(c, h).set(s.compound, s.satisfaction, s.at);
    this.surveys.set(s.compound, s.satisfaction);
    this.raters.get(s.compound)?.invalidate();
    return this.rate(c, h, [s.compound], now, 'survey');
  }

  /** New (deduped) events: device online state. Compounds whose rate may change are marked dirty. */
  takeEvents(c: Queryable, events: readonly Event[], now: number): Promise<void> {
    const learned: Event[] = [];
    for (const e of events) {
      if (!this.raters.has(e.compound)) {
        // A compound the city did not list (dev mode): rated with the household floor, like the embedded hub.
        const households = this.policy.normalisation.householdsFloor;
        this.raters.set(e.compound, new CompoundRater(this.policy, { id: e.compound, name: e.compound, district: e.district, households }));
        learned.push(e);
      }
      if (this.tracker.seen(e.device, e.compound, e.type, Math.min(e.deviceTime, now))) this.dirty.add(e.compound);
      // A new alarm waiting for an operator (state.ts opened its row by the shared rule,
      // hub/index/alarm-rule.ts): the page's pending count changed.
      if (alarmOf(this.policy, e, now) && !this.changed.has(e.compound)) this.changed.set(e.compound, 'alarm');
    }
    if (learned.length === 0) return Promise.resolve();
    return c
      .query(
        `INSERT INTO compounds (id, name, district, households) SELECT c, c, d, $1 FROM unnest($2::text[], $3::text[]) AS x(c, d) ON CONFLICT (id) DO NOTHING`,
        [this.policy.normalisation.householdsFloor, learned.map((e) => e.compound), learned.map((e) => e.district)],
      )
      .then(() => undefined);
  }

  /** Apply a case (idempotent by id and content, like the SQLite CaseStore) and re-rate its compound(s). */
  async applyCase(c: Queryable, h: Held, m: CaseMessage['case'], now: number): Promise<RateResult[]> {
    const prev = this.cases.get(m.id);
    const same = prev && prev.department === m.department && prev.category === m.category && prev.compound === m.compound && prev.occurredAt === m.occurredAt && prev.registeredAt === m.registeredAt && prev.status === m.status;
    if (same) return [];
    const stored: StoredCase = {
      id: m.id, department: m.department, category: m.category, compound: m.compound, occurredAt: m.occurredAt, registeredAt: m.registeredAt, status: m.status,
      // receivedAt stays the first arrival (a correction does not make an old case new); it is the API's time of the post.
      receivedAt: prev?.receivedAt ?? m.receivedAt, postedBy: m.postedBy, version: (prev?.version ?? 0) + 1, updatedAt: now,
    };
    await c.query(
      `INSERT INTO cases (id, department, category, compound, occurred_at, registered_at, received_at, status, posted_by, version, updated_at, partition, epoch)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (id) DO UPDATE SET department = excluded.department, category = excluded.category, compound = excluded.compound,
         occurred_at = excluded.occurred_at, registered_at = excluded.registered_at, status = excluded.status, posted_by = excluded.posted_by,
         version = excluded.version, updated_at = excluded.updated_at, partition = excluded.partition, epoch = excluded.epoch`,
      [stored.id, stored.department, stored.category, stored.compound, stored.occurredAt, stored.registeredAt, stored.receivedAt, stored.status, stored.postedBy, stored.version, stored.updatedAt, h.partition, h.epoch],
    );
    this.keep(stored);
    const touched = new Set([m.compound, ...(prev ? [prev.compound] : [])]);
    for (const id of touched) this.raters.get(id)?.invalidate();
    return this.rate(c, h, [...touched].filter((id) => this.raters.has(id)), now, `case:${m.id}`);
  }

  /** Re-rate the compounds whose device online state changed. */
  rateDirty(c: Queryable, h: Held, now: number): Promise<RateResult[]> {
    const ids = [...this.dirty];
    this.dirty.clear();
    return this.rate(c, h, ids, now, 'event');
  }

  /** Every compound of the partition: due reviews, decay and ending effects (the owner's tick). */
  async rateAll(c: Queryable, h: Held, now: number, trigger: 'start' | 'tick'): Promise<RateResult[]> {
    const out = await this.rate(c, h, this.compounds(), now, trigger);
    // A report every compound has reviewed past is no longer read.
    for (const t of [...this.reported.keys()]) if ([...this.raters.values()].every((r) => (r.state.lastReviewAt ?? -Infinity) >= t)) this.reported.delete(t);
    return out;
  }

  /**
   * Rate `ids` at `now` and write the ones that moved (stars, index or a review ran) with the
   * owner's epoch. Each write leaves an audit row ('rate') in the partition's audit sequence, the
   * one claims and releases are in: a reader can check that every write came from the owner of
   * the latest claim.
   */
  private async rate(c: Queryable, h: Held, ids: readonly string[], now: number, trigger: string): Promise<RateResult[]> {
    const out: RateResult[] = [];
    const rows: Array<{ compound: string; stars: number | null; index: number; state: RatingState; from: number | null | undefined; trigger: string; detail: string }> = [];
    const detailOnly: Array<{ compound: string; detail: string }> = [];
    for (const id of ids) {
      const rater = this.raters.get(id);
      if (!rater) continue;
      const prevStars = rater.stars;
      const prevIndex = rater.index;
      const r = rater.rate(this, now, this.tracker.onlineRate(id, now), this.offsetsAt, this.reviewedAt);
      const moved = r.stars !== prevStars || r.evaluation.index !== prevIndex || r.reviewed > 0;
      rater.stars = r.stars;
      rater.index = r.evaluation.index;
      // What the public page shows, like the embedded hub's get(): any worker serves it from here.
      const detail = JSON.stringify(explainPublic(this.policy, r.evaluation, r.stars, r.shown, r.cases));
      if (moved) rows.push({ compound: id, stars: r.stars, index: r.evaluation.index, state: rater.state, from: prevStars, trigger: r.reviewed > 0 && !trigger.includes(':') ? 'review' : trigger, detail });
      else if (this.written.get(id) !== detail) detailOnly.push({ compound: id, detail });
      out.push({ compound: id, stars: r.stars, index: r.evaluation.index });
    }
    if (detailOnly.length > 0) {
      // Not a rating change (no audit row): only the page's words moved on (a streak's days).
      await c.query('UPDATE compound_ratings r SET detail = x.d FROM unnest($1::text[], $2::json[]) AS x(c, d) WHERE r.compound = x.c', [detailOnly.map((r) => r.compound), detailOnly.map((r) => r.detail)]);
      for (const r of detailOnly) {
        this.written.set(r.compound, r.detail);
        this.changed.set(r.compound, 'rating');
      }
    }
    if (rows.length === 0) return out;
    await c.query(
      `INSERT INTO compound_ratings (compound, partition, stars, index, state, evaluated_at, policy_version, owner, epoch, detail)
       SELECT x.c, $1, x.s, x.i, x.st, $2, $3, $4, $5, x.d FROM unnest($6::text[], $7::int[], $8::float8[], $9::jsonb[], $10::json[]) AS x(c, s, i, st, d)
       ON CONFLICT (compound) DO UPDATE SET partition = excluded.partition, stars = excluded.stars, index = excluded.index, state = excluded.state,
         evaluated_at = excluded.evaluated_at, policy_version = excluded.policy_version, owner = excluded.owner, epoch = excluded.epoch, detail = excluded.detail`,
      [h.partition, now, this.policy.version, this.owner, h.epoch, rows.map((r) => r.compound), rows.map((r) => r.stars), rows.map((r) => r.index), rows.map((r) => JSON.stringify(r.state)), rows.map((r) => r.detail)],
    );
    for (const r of rows) {
      this.written.set(r.compound, r.detail);
      this.changed.set(r.compound, 'rating');
    }
    await c.query(
      `INSERT INTO audit (partition, owner, epoch, action, detail) SELECT $1, $2, $3, 'rate', d FROM unnest($4::text[]) AS x(d)`,
      [h.partition, this.owner, h.epoch, rows.map((r) => JSON.stringify({ compound: r.compound, from: r.from ?? null, to: r.stars, index: r.index, trigger: r.trigger, at: now }))],
    );
    return out;
  }
}
