import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Event } from '../../protocol/event.ts';
import type { HubContext } from '../hub.ts';
import type { CompoundRating, RatingEngine } from '../rating/types.ts';
import { CaseStore, type AlarmRow, type UpsertResult } from '../cases/store.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { defaultPolicy } from './policy.ts';
import { RatingStore } from './rating-store.ts';
import { DeviceTracker } from './device-tracker.ts';
import { IndexHistory, type HistoryTarget } from './history.ts';
import { explainPrivate, explainPublic } from './explain.ts';
import { CompoundRater, NO_CALIBRATION, type OffsetsAt, type RatedNow } from './compound-rater.ts';
import { calibrateReview, calibrationSteps, type CityEntry, type ReviewOffsets } from './calibration.ts';
import type { CaseRecord } from './types.ts';
import { ProblemPoints, type ProblemItem } from '../cases/problem-points.ts';
import { alarmOf } from './alarm-rule.ts';

export interface IndexRatingOptions {
  policy?: Policy;
  /** InfluxDB for the `safety_index` history; absent = history waits in its durable queue. */
  history?: HistoryTarget;
  /** How often due reviews, expiring effects and a slice of the city are re-rated (ms). Default 60 s. */
  tickMs?: number;
  /** Ticks per full re-rating sweep of the city between reviews (decay). Default 10. */
  sweepTicks?: number;
  /** Timers off (tests drive `tick()` themselves). Events still re-rate their compound. */
  manual?: boolean;
  /** Most time one slice of background work holds the event loop (ms). Default 10. */
  sliceMs?: number;
  /** Events are gathered this long before their compounds are re-rated (ms). Default 50. */
  eventDelayMs?: number;
}

interface Owned {
  rater: CompoundRater;
  rating: CompoundRating;
}

const REVIEW_KEY = 'lastReviewAt';
const CALIBRATION_PREFIX = 'calibration:';

/**
 * The safety-index engine behind the hub's rating seam (hub/rating/types.ts). Each compound has
 * one owner (CompoundRater) that loads only its own rows and runs its own due reviews, so:
 *  - a case, an alarm decision or a survey re-rates its compound before the API answers;
 *  - events re-rate only their own compound, and only when they can change an input (a device's
 *    online state), gathered for `eventDelayMs` and done in slices of at most `sliceMs`;
 *  - the monthly review, decay and expiring effects run in the same slices, never as one long
 *    task: the event loop keeps serving MQTT and HTTP.
 * Every star change is written to the audit log, every new value to the `safety_index` history.
 */
/** Meta key: the `problems` points of cases and alarms stored before they existed were queued. */
const PROBLEMS_BACKFILLED = 'problems-backfilled';

export class IndexRating implements RatingEngine {
  readonly policy: Policy;
  readonly cases: CaseStore;
  readonly ratings: RatingStore;
  readonly history: IndexHistory;
  /** 共性问题 points for the dashboards, counted as /api/insights counts them. */
  private readonly problems: ProblemPoints;
  private readonly tracker: DeviceTracker;
  private readonly owned = new Map<string, Owned>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private background: Promise<void> | undefined;
  /** Event re-rate passes still running (idle() waits for them too). */
  private readonly eventLanes = new Set<Promise<void>>();
  private closed = false;
  private sweepAt = 0;
  private readonly sweepTicks: number;
  private readonly sliceMs: number;
  private readonly eventDelayMs: number;
  /** The city calibration of each review (calibration.ts), kept with the ratings. */
  private readonly calibrations = new Map<number, ReviewOffsets>();
  private readonly offsetsAt: OffsetsAt;

  constructor(private readonly ctx: Pick<HubContext, 'state' | 'now' | 'learnsCompounds'> & { log?: HubContext['log']; bus?: HubContext['bus'] }, opts: IndexRatingOptions = {}) {
    this.policy = opts.policy ?? defaultPolicy();
    this.sweepTicks = Math.max(1, opts.sweepTicks ?? 10);
    this.sliceMs = opts.sliceMs ?? 10;
    this.eventDelayMs = opts.eventDelayMs ?? 50;
    const db = ctx.state.db;
    this.cases = new CaseStore(db);
    this.ratings = new RatingStore(db);
    this.history = new IndexHistory(db, opts.history);
    this.problems = new ProblemPoints(db, this.history, () => this.policy.timezoneOffsetMinutes);
    this.tracker = new DeviceTracker(db);
    for (const { value } of this.ratings.metaWithPrefix(CALIBRATION_PREFIX)) {
      const o = JSON.parse(value) as ReviewOffsets;
      this.calibrations.set(o.at, o);
    }
    this.offsetsAt = this.policy.review.calibration ? (t) => this.calibrations.get(t) : NO_CALIBRATION;
    const saved = new Map(this.ratings.all().map((r) => [r.compound, r]));
    for (const c of ctx.state.compounds()) {
      const s = saved.get(c.id);
      this.own({ id: c.id, name: c.name, district: c.district, households: c.households }, s && { state: s.state, stars: s.stars, index: s.index, evaluatedAt: s.evaluatedAt });
    }
    this.backfillProblems();
    for (const d of ctx.state.devices()) this.tracker.register(d.id, d.compound, d.heartbeat_s);
    this.tracker.load();
    this.tick('start');
    if (!opts.manual) {
      this.timer = setInterval(() => void this.tickSliced(), opts.tickMs ?? 60_000);
      this.timer.unref();
      this.history.start();
    }
  }

  private own(compound: CompoundRater['compound'], s?: { state: CompoundRater['state']; stars: number | null; index: number; evaluatedAt: number }): Owned {
    const o: Owned = {
      rater: new CompoundRater(this.policy, compound, s),
      rating: { ...compound, index: s?.index ?? 0, stars: s?.stars ?? null, rated: s ? s.stars !== null : false, updatedAt: new Date(s?.evaluatedAt ?? this.ctx.now()).toISOString() },
    };
    this.owned.set(compound.id, o);
    return o;
  }

  now(): number {
    return this.ctx.now();
  }

  /** Resident survey satisfaction (0..1) for a compound; re-rates it at once. */
  setSurvey(id: string, satisfaction: number): void {
    this.cases.setSurvey(id, satisfaction, this.ctx.now());
    this.owned.get(id)?.rater.invalidate();
    this.rerate(id, 'survey');
  }

  /** The district of a compound (for city-wide aggregates). */
  districtOf(id: string): string | undefined {
    return this.owned.get(id)?.rater.compound.district;
  }

  hasCompound(id: string): boolean {
    return this.owned.has(id);
  }

  onEvents(events: readonly Event[]): void {
    const now = this.ctx.now();
    // One transaction per accepted batch: alarm bursts must not cost one commit each.
    this.ctx.state.db.transaction(() => this.takeEvents(events, now))();
    if (this.dirty.size > 0) this.scheduleDrain();
  }

  private takeEvents(events: readonly Event[], now: number): void {
    for (const e of events) {
      if (!this.owned.has(e.compound)) {
        if (this.ctx.learnsCompounds === false) continue;
        this.learn(e);
      }
      const at = Math.min(e.deviceTime, now);
      // Only a change of a device's online state changes an input of the index.
      if (this.tracker.seen(e.device, e.compound, e.type, at)) this.dirty.add(e.compound);
      // Device alarms wait for an operator (only confirmed ones score, DOMAIN.md "IoT"); which
      // events open one is alarm-rule.ts, shared with the cluster's partition owners.
      const a = alarmOf(this.policy, e, now);
      if (a && this.cases.addPendingAlarm(a)) {
        this.problemOfAlarm({ id: a.id, compound: a.compound, type: a.type, occurred_at: a.occurredAt }, true);
        this.ctx.bus?.publish({ type: 'alarm', id: a.id, compound: a.compound, device: a.device, kind: a.type, status: 'pending', at: a.occurredAt });
      }
    }
  }

  /** Events for a compound the city didn't list (dev mode): rate it with the household floor. */
  private learn(e: Event): void {
    const households = this.policy.normalisation.householdsFloor;
    this.ctx.state.addLearned([{ id: e.compound, name: e.compound, district: e.district, households, lat: null, lon: null }], []);
    this.own({ id: e.compound, name: e.compound, district: e.district, households });
  }

  private scheduleDrain(): void {
    if (this.drainTimer || this.closed) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      const ids = [...this.dirty];
      this.dirty.clear();
      // Its own lane: event re-rates never wait behind a review or sweep pass of the whole city.
      const lane = this.slices(ids, 'event').finally(() => this.eventLanes.delete(lane));
      this.eventLanes.add(lane);
    }, this.eventDelayMs);
    this.drainTimer.unref();
  }

  /** Rate one compound now (its due reviews first); writes audit (star change) and history (new value). */
  private rateOwned(o: Owned, trigger: string, by?: string): RatedNow {
    const now = this.ctx.now();
    const id = o.rater.compound.id;
    const prevStars = o.rater.stars;
    const prevIndex = o.rater.index;
    const r = o.rater.rate(this.cases, now, this.tracker.onlineRate(id, now), this.offsetsAt);
    const { evaluation: ev, stars } = r;
    const changed = stars !== prevStars;
    const moved = changed || ev.index !== prevIndex || r.reviewed > 0;
    o.rating = { id, name: o.rater.compound.name, district: o.rater.compound.district, households: o.rater.compound.households, index: ev.index, stars, rated: stars !== null, updatedAt: new Date(now).toISOString() };
    if (moved) {
      const state = o.rater.state;
      this.ratings.save(
        { compound: id, stars, index: ev.index, state, evaluatedAt: now, policyVersion: this.policy.version },
        changed
          ? {
              compound: id,
              at: now,
              fromStars: prevStars === undefined ? null : prevStars,
              toStars: stars,
              index: ev.index,
              trigger: r.reviewed > 0 && trigger !== 'read' && !trigger.includes(':') ? 'review' : trigger,
              reason: { ...(by ? { postedBy: by } : {}), veto: ev.veto, downgrades: ev.downgrades, reviewStars: r.shown.reviewStars, ...(r.shown.droppedFrom !== undefined ? { droppedFrom: r.shown.droppedFrom } : {}), bandStars: ev.bandStars, baseIndex: ev.baseIndex, calibrationOffset: state.offset ?? 0, gates: ev.gates, rated: ev.rated },
              policyVersion: this.policy.version,
            }
          : null,
      );
      this.ctx.bus?.publish({ type: 'rating', compound: id, district: o.rater.compound.district, fromStars: prevStars === undefined ? null : prevStars, stars, index: ev.index, at: now, trigger });
      if (stars !== null) {
        this.history.record([
          {
            compound: id,
            district: o.rater.compound.district,
            at: now,
            index: ev.index,
            stars,
            subScores: Object.fromEntries(Object.entries(ev.subScores).map(([k, s]) => [k, s.score])),
            veto: ev.veto !== null,
            downgradeStars: ev.downgradeStars,
            policyVersion: this.policy.version,
            zeroAlertsYear: ev.streaks.year.zeroAlerts,
            zeroPreventableYear: ev.streaks.year.zeroPreventable,
            daysSinceIncident: ev.streaks.daysSinceLastIncident,
          },
        ]);
      }
    }
    o.rater.stars = stars;
    o.rater.index = ev.index;
    this.dirty.delete(id);
    return r;
  }

  /** Re-rate one compound now. */
  rerate(id: string, trigger: string): CompoundRating | undefined {
    const o = this.owned.get(id);
    if (!o) return undefined;
    this.rateOwned(o, trigger);
    return o.rating;
  }

  /** Compounds whose turn it is: dirty ones, those with an effect ending, and a slice of the city. */
  private dueIds(trigger: 'start' | 'tick'): string[] {
    const now = this.ctx.now();
    if (trigger === 'start') return [...this.owned.keys()];
    const ids = new Set(this.dirty);
    const all = [...this.owned.keys()];
    for (const [id, o] of this.owned) {
      if (o.rater.nextChangeAt <= now || o.rater.dueReviews(now).length > 0) ids.add(id);
    }
    const n = Math.ceil(all.length / this.sweepTicks);
    for (let i = 0; i < n && all.length > 0; i++) {
      this.sweepAt = this.sweepAt % all.length;
      ids.add(all[this.sweepAt++] as string);
    }
    return [...ids];
  }

  /**
   * Synchronous tick (start-up, tests): every due review, expiring effect and a sweep slice, at
   * once. The hub's timer uses tickSliced instead.
   */
  tick(trigger: 'start' | 'tick' = 'tick'): void {
    for (const t of this.uncalibrated()) {
      const entries: CityEntry[] = [];
      this.ctx.state.db.transaction(() => {
        for (const o of this.owned.values()) entries.push(this.entryOf(o, t));
      })();
      this.storeCalibration(calibrateReview(this.policy, t, entries));
    }
    const ids = this.dueIds(trigger);
    this.ctx.state.db.transaction(() => {
      for (const id of ids) {
        const o = this.owned.get(id);
        if (o) this.rateOwned(o, trigger);
      }
    })();
    this.noteReview();
  }

  /** The same work as tick(), in slices of at most `sliceMs`, yielding to the event loop between. */
  tickSliced(): Promise<void> {
    return this.runSliced(() => this.dueIds('tick'), 'tick', true);
  }

  /**
   * Reviews some compound has due whose city calibration is not computed yet, oldest first
   * (none without a calibration policy: every review then has offset 0).
   */
  private uncalibrated(): number[] {
    if (!this.policy.review.calibration) return [];
    const now = this.ctx.now();
    const due = new Set<number>();
    for (const o of this.owned.values()) for (const t of o.rater.dueReviews(now)) if (!this.calibrations.has(t)) due.add(t);
    return [...due].sort((a, b) => a - b);
  }

  private entryOf(o: Owned, t: number): CityEntry {
    const now = this.ctx.now();
    return o.rater.reviewEntry(this.cases, t, now, this.tracker.onlineRate(o.rater.compound.id, now), this.offsetsAt);
  }

  private storeCalibration(o: ReviewOffsets): void {
    this.calibrations.set(o.at, o);
    this.ratings.setMeta(`${CALIBRATION_PREFIX}${o.at}`, JSON.stringify(o));
    this.ctx.log?.info({ review: new Date(o.at).toISOString(), offset: o.city, districts: o.districts, rated: o.rated }, 'index review calibrated');
  }

  /** The calibration of review `t`, gathered in slices of at most `sliceMs` (the city's entries), then solved. */
  private async calibrateSliced(t: number): Promise<void> {
    const owners = [...this.owned.values()];
    const entries: CityEntry[] = [];
    let i = 0;
    while (i < owners.length && !this.closed) {
      const end = performance.now() + this.sliceMs;
      this.ctx.state.db.transaction(() => {
        while (i < owners.length && performance.now() < end) entries.push(this.entryOf(owners[i++] as Owned, t));
      })();
      await yieldToLoop();
    }
    // The solve itself also in slices: one pass over the city per step.
    const steps = calibrationSteps(this.policy, t, entries);
    while (!this.closed) {
      const end = performance.now() + this.sliceMs;
      let r = steps.next();
      while (!r.done && performance.now() < end) r = steps.next();
      if (r.done) {
        if (!this.calibrations.has(t)) this.storeCalibration(r.value);
        return;
      }
      await yieldToLoop();
    }
  }

  /** Re-rate `ids` in slices of at most `sliceMs`, one transaction per slice, yielding in between. */
  private async slices(ids: readonly string[], trigger: string): Promise<void> {
    let i = 0;
    while (i < ids.length && !this.closed) {
      const end = performance.now() + this.sliceMs;
      this.ctx.state.db.transaction(() => {
        while (i < ids.length && performance.now() < end) {
          const o = this.owned.get(ids[i++] as string);
          if (o) this.rateOwned(o, trigger);
        }
      })();
      await yieldToLoop();
    }
  }

  private runSliced(ids: readonly string[] | (() => readonly string[]), trigger: string, calibrate = false): Promise<void> {
    const run = async () => {
      if (calibrate) for (const t of this.uncalibrated()) await this.calibrateSliced(t);
      await this.slices(typeof ids === 'function' ? ids() : ids, trigger);
      if (!this.closed) this.noteReview();
    };
    // One background pass at a time, in order: a later pass sees what the earlier one saved.
    // (The stored promise is the one compared on settling: comparing the inner one never matched,
    // so `background` stayed set for ever.)
    const next: Promise<void> = (this.background ?? Promise.resolve()).then(run, run).finally(() => {
      if (this.background === next) this.background = undefined;
    });
    this.background = next;
    return next;
  }

  /** Record the latest review every compound has run (for operators; each compound keeps its own). */
  private noteReview(): void {
    let min = Infinity;
    for (const o of this.owned.values()) min = Math.min(min, o.rater.state.lastReviewAt ?? -Infinity);
    if (Number.isFinite(min) && String(min) !== this.ratings.getMeta(REVIEW_KEY)) this.ratings.setMeta(REVIEW_KEY, String(min));
  }

  /** Background work still running, reviews and event re-rates (tests and benchmarks wait on it). */
  async idle(): Promise<void> {
    while (!this.closed && (this.background || this.eventLanes.size > 0 || this.drainTimer)) {
      if (this.background || this.eventLanes.size > 0) await Promise.all([this.background, ...this.eventLanes]);
      else await new Promise((r) => setTimeout(r, this.eventDelayMs));
    }
  }

  /** Compounds waiting for an event re-rate (benchmarks). */
  pending(): number {
    return this.dirty.size;
  }

  /** Store a case (idempotent by id) and re-rate the compounds it touches, at once. */
  recordCase(c: CaseRecord & { postedBy?: string }): { result: UpsertResult; before: Map<string, number | null>; after: Map<string, CompoundRating> } {
    // One commit for the case, its rating, audit and history point.
    return this.ctx.state.db.transaction(() => this.recordInTx(c))();
  }

  private recordInTx(c: CaseRecord & { postedBy?: string }): { result: UpsertResult; before: Map<string, number | null>; after: Map<string, CompoundRating> } {
    const result = this.cases.upsertCase(c, this.ctx.now());
    if (result.kind !== 'unchanged') {
      const now = this.caseItem(result.stored);
      const before = result.kind === 'updated' ? this.caseItem(result.previous) : undefined;
      if (now) this.problems.record(now, before);
      else if (before) this.problems.record({ ...before, active: false });
    }
    const touched = new Set([c.compound]);
    if (result.kind === 'updated') touched.add(result.previous.compound);
    const before = new Map([...touched].map((id) => [id, this.owned.get(id)?.rater.stars ?? null]));
    const after = new Map<string, CompoundRating>();
    for (const id of touched) {
      const o = this.owned.get(id);
      if (!o) continue;
      if (result.kind !== 'unchanged') {
        o.rater.invalidate();
        this.rateOwned(o, `case:${c.id}`, c.postedBy ?? c.department);
      }
      after.set(id, o.rating);
    }
    return { result, before, after };
  }

  /** What /api/insights counts of a case (counting statuses), as a `problems` point; none without a district. */
  private caseItem(c: Pick<CaseRecord, 'id' | 'category' | 'compound' | 'occurredAt' | 'status'>): ProblemItem | undefined {
    const district = this.districtOf(c.compound);
    return district === undefined ? undefined : { source: 'case', id: c.id, district, kind: c.category, at: c.occurredAt, active: this.policy.statuses.counting.includes(c.status) };
  }

  /**
   * Once per state database: cases and alarms stored before the `problems` points existed get
   * theirs, or the 共性问题 panel would undercount what /api/insights counts after an upgrade.
   */
  private backfillProblems(): void {
    if (this.ratings.getMeta(PROBLEMS_BACKFILLED)) return;
    this.ctx.state.db.transaction(() => {
      this.problems.recordAll(this.cases.problemRows(Number.MIN_SAFE_INTEGER, this.policy.statuses.counting).flatMap((r) => {
        const district = this.districtOf(r.compound);
        return district === undefined ? [] : [{ source: r.source, id: r.id, district, kind: r.kind, at: r.at, active: true }];
      }));
      this.ratings.setMeta(PROBLEMS_BACKFILLED, String(this.ctx.now()));
    })();
  }

  /** Alarms count until dismissed (hub/cases/insights.ts) or pruned: pending and confirmed ones are active. */
  private problemOfAlarm(a: Pick<AlarmRow, 'id' | 'compound' | 'type' | 'occurred_at'>, active: boolean): void {
    const district = this.districtOf(a.compound);
    if (district !== undefined) this.problems.record({ source: 'alarm', id: a.id, district, kind: a.type, at: a.occurred_at, active });
  }

  /** An operator's decision on a device alarm; only confirmed alarms score. */
  decideAlarm(id: string, status: 'confirmed' | 'dismissed', by: string): { alarm: AlarmRow; rating: CompoundRating | undefined } | undefined {
    const prev = this.cases.getAlarm(id);
    if (!prev) return undefined;
    if (prev.status === status) return { alarm: prev, rating: this.owned.get(prev.compound)?.rating };
    const alarm = this.cases.decideAlarm(id, status, this.ctx.now(), by) ?? prev;
    this.problemOfAlarm(alarm, alarm.status !== 'dismissed');
    this.ctx.bus?.publish({ type: 'alarm', id, compound: alarm.compound, device: alarm.device, kind: alarm.type, status: alarm.status, at: alarm.decided_at ?? this.ctx.now() });
    this.owned.get(alarm.compound)?.rater.invalidate();
    const o = this.owned.get(alarm.compound);
    if (o) this.rateOwned(o, `alarm:${id}`, by);
    return { alarm, rating: o?.rating };
  }

  /** Public view: stars, index, sub-scores and the reason in words; no case ids, departments or exact times. */
  get(id: string): CompoundRating | undefined {
    const o = this.owned.get(id);
    if (!o) return undefined;
    const r = this.rateOwned(o, 'read');
    const pending = this.cases.listAlarms({ status: 'pending', compound: id, limit: 1000 }).length;
    return { ...o.rating, detail: { ...explainPublic(this.policy, r.evaluation, r.stars, r.shown, r.cases), unconfirmedAlarms: pending } };
  }

  /** Operator / department view: the same with the cases behind it (ids, departments, times). */
  getPrivate(id: string): CompoundRating | undefined {
    const o = this.owned.get(id);
    if (!o) return undefined;
    const r = this.rateOwned(o, 'read');
    return {
      ...o.rating,
      detail: {
        ...explainPrivate(this.policy, r.evaluation, r.stars, r.shown, r.cases, r.signals),
        // Shown, never scored, until an operator confirms them (DOMAIN.md "IoT").
        unconfirmedAlarms: this.cases.listAlarms({ status: 'pending', compound: id, limit: 20 }).map((a) => ({ id: a.id, device: a.device, type: a.type, occurredAt: new Date(a.occurred_at).toISOString() })),
      },
    };
  }

  /** The published rating as it stands, without re-rating (cheap; benchmarks and aggregates). */
  peek(id: string): CompoundRating | undefined {
    return this.owned.get(id)?.rating;
  }

  list(): CompoundRating[] {
    return [...this.owned.values()].map((o) => o.rating);
  }

  /** Every registered device with its compound, last-seen time and online state (the console). */
  devices(): ReturnType<DeviceTracker['status']> {
    return this.tracker.status(this.ctx.now());
  }

  devicesOffline(): number {
    return this.tracker.offlineCount(this.now());
  }

  persist(): void {
    this.tracker.persist();
    // A pruned alarm leaves /api/insights, so its `problems` point must stop counting too.
    this.ctx.state.db.transaction(() => {
      for (const a of this.cases.prunePendingAlarms()) this.problemOfAlarm(a, false);
    })();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.timer = undefined;
    this.history.stop();
    this.persist();
  }
}
