import type { Event } from '../../protocol/event.ts';
import type { HubContext } from '../hub.ts';
import type { CompoundRating, RatingEngine } from '../rating/types.ts';
import { CaseStore, type AlarmRow, type UpsertResult } from '../cases/store.ts';
import type { Policy } from './policy-schema.ts';
import { defaultPolicy } from './policy.ts';
import { evaluate } from './engine.ts';
import { INITIAL_RATING_STATE, publishedStars, reviewStep, type RatingState } from './rating.ts';
import { RatingStore } from './rating-store.ts';
import { DeviceTracker } from './device-tracker.ts';
import { IndexHistory, type HistoryTarget } from './history.ts';
import { explain } from './explain.ts';
import { lastReviewAtOrBefore, reviewTimes } from './time.ts';
import type { CaseRecord, CompoundRef, Evaluation } from './types.ts';

export interface IndexRatingOptions {
  policy?: Policy;
  /** InfluxDB for the `safety_index` history; absent = history waits in its durable queue. */
  history?: HistoryTarget;
  /** How often reviews are checked and every compound re-rated (ms). Default 60 s. */
  tickMs?: number;
  /** Ticks per full re-rating sweep of the city between reviews. Default 10. */
  sweepTicks?: number;
  /** Timers off (tests drive `tick()` themselves). */
  manual?: boolean;
}

interface Cached {
  compound: CompoundRef & { name: string };
  stars: number;
  index: number;
  state: RatingState;
  rating: CompoundRating;
}

const REVIEW_KEY = 'lastReviewAt';

/**
 * The safety-index engine behind the hub's rating seam (hub/rating/types.ts). Cases and operator
 * decisions re-rate their compound at once (vetoes and downgrades are immediate); a timer runs
 * the scheduled reviews (upgrades with hysteresis) and re-rates every compound so decay and
 * expiring effects show. Every star change is written to the audit log, every new value to the
 * `safety_index` history.
 */
export class IndexRating implements RatingEngine {
  readonly policy: Policy;
  readonly cases: CaseStore;
  readonly ratings: RatingStore;
  readonly history: IndexHistory;
  private readonly tracker: DeviceTracker;
  private readonly cache = new Map<string, Cached>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private sweepAt = 0;
  private readonly sweepTicks: number;

  constructor(private readonly ctx: Pick<HubContext, 'state' | 'now'> & { log?: HubContext['log'] }, opts: IndexRatingOptions = {}) {
    this.policy = opts.policy ?? defaultPolicy();
    this.sweepTicks = Math.max(1, opts.sweepTicks ?? 10);
    const db = ctx.state.db;
    this.cases = new CaseStore(db);
    this.ratings = new RatingStore(db);
    this.history = new IndexHistory(db, opts.history);
    this.tracker = new DeviceTracker(db);
    const saved = new Map(this.ratings.all().map((r) => [r.compound, r]));
    for (const c of ctx.state.compounds()) {
      const s = saved.get(c.id);
      this.cache.set(c.id, {
        compound: { id: c.id, name: c.name, district: c.district, households: c.households },
        stars: s?.stars ?? -1,
        index: s?.index ?? -1,
        state: s?.state ?? INITIAL_RATING_STATE,
        rating: { id: c.id, name: c.name, district: c.district, households: c.households, index: s?.index ?? 0, stars: s?.stars ?? 0, updatedAt: new Date(s?.evaluatedAt ?? ctx.now()).toISOString() },
      });
    }
    for (const d of ctx.state.devices()) this.tracker.register(d.id, d.compound, d.heartbeat_s);
    this.tracker.load();
    this.tick('start');
    if (!opts.manual) {
      this.timer = setInterval(() => this.tick('tick'), opts.tickMs ?? 60_000);
      this.timer.unref();
      this.history.start();
    }
  }

  now(): number {
    return this.ctx.now();
  }

  /** Resident survey satisfaction (0..1) for a compound; re-rates it at once. */
  setSurvey(id: string, satisfaction: number): void {
    this.cases.setSurvey(id, satisfaction, this.ctx.now());
    this.rerate(id, 'survey');
  }

  hasCompound(id: string): boolean {
    return this.cache.has(id);
  }

  onEvents(events: readonly Event[]): void {
    const now = this.ctx.now();
    // One transaction per accepted batch: alarm bursts must not cost one commit each.
    this.ctx.state.db.transaction(() => this.takeEvents(events, now))();
  }

  private takeEvents(events: readonly Event[], now: number): void {
    for (const e of events) {
      if (!this.cache.has(e.compound)) this.learn(e);
      const at = Math.min(e.deviceTime, now);
      this.tracker.seen(e.device, e.compound, e.type, at);
      // Edge-made health records are not alarms; device alarms wait for an operator (only
      // confirmed ones score, DOMAIN.md "IoT").
      if (Object.hasOwn(this.policy.iot.weights, e.type) && e.attributes['origin'] !== 'edge') {
        this.cases.addPendingAlarm({ id: e.id, compound: e.compound, device: e.device, type: e.type, occurredAt: at });
      }
      this.dirty.add(e.compound);
    }
  }

  /** Events for a compound the city didn't list (dev mode): rate it with the household floor. */
  private learn(e: Event): void {
    const households = this.policy.normalisation.householdsFloor;
    this.ctx.state.addLearned([{ id: e.compound, name: e.compound, district: e.district, households, lat: null, lon: null }], []);
    const compound = { id: e.compound, name: e.compound, district: e.district, households };
    this.cache.set(e.compound, { compound, stars: -1, index: -1, state: INITIAL_RATING_STATE, rating: { ...compound, index: 0, stars: 0, updatedAt: new Date(this.ctx.now()).toISOString() } });
  }

  private signals(id: string, now: number) {
    return { onlineRate: this.tracker.onlineRate(id, now), survey: this.cases.surveyOf(id) };
  }

  private evaluateAt(c: Cached, at: number, cases: readonly CaseRecord[], signals = this.signals(c.compound.id, at)): Evaluation {
    return evaluate(this.policy, { compound: c.compound, cases, alarms: this.cases.confirmedAlarmsOf(c.compound.id), ...signals, at });
  }

  /** Re-rate one compound now; writes audit (star change) and history (new value). */
  rerate(id: string, trigger: string, withDetail = false): Cached | undefined {
    const c = this.cache.get(id);
    if (!c) return undefined;
    const now = this.ctx.now();
    const cases = this.cases.casesOf(id);
    const signals = this.signals(id, now);
    const ev = this.evaluateAt(c, now, cases, signals);
    const stars = publishedStars(this.policy, c.state, ev);
    const changed = stars !== c.stars;
    const moved = changed || ev.index !== c.index || trigger === 'review';
    c.rating = {
      id,
      name: c.compound.name,
      district: c.compound.district,
      households: c.compound.households,
      index: ev.index,
      stars,
      updatedAt: new Date(now).toISOString(),
      // The explanation is built for reads only; sweeps and reviews need just the numbers.
      ...(withDetail
        ? {
            detail: {
              ...explain(ev, stars, c.state, cases, signals),
              // Shown, never scored, until an operator confirms them (DOMAIN.md "IoT").
              unconfirmedAlarms: this.cases.listAlarms({ status: 'pending', compound: id, limit: 20 }).map((a) => ({ id: a.id, device: a.device, type: a.type, occurredAt: new Date(a.occurred_at).toISOString() })),
            },
          }
        : {}),
    };
    if (moved) {
      this.ratings.save(
        { compound: id, stars, index: ev.index, state: c.state, evaluatedAt: now, policyVersion: this.policy.version },
        changed
          ? {
              compound: id,
              at: now,
              fromStars: c.stars < 0 ? null : c.stars,
              toStars: stars,
              index: ev.index,
              trigger,
              reason: { veto: ev.veto, downgrades: ev.downgrades, reviewStars: c.state.reviewStars, bandStars: ev.bandStars, gates: ev.gates },
              policyVersion: this.policy.version,
            }
          : null,
      );
      this.history.record([
        {
          compound: id,
          district: c.compound.district,
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
    c.stars = stars;
    c.index = ev.index;
    this.dirty.delete(id);
    return c;
  }

  /**
   * Run the reviews that fell due since the last one (all of them, in order, after downtime),
   * then re-rate every compound. The first start runs the latest past review: the first list.
   */
  tick(trigger: 'start' | 'tick' = 'tick'): void {
    const now = this.ctx.now();
    const { review, timezoneOffsetMinutes: tz } = this.policy;
    const last = this.ratings.getMeta(REVIEW_KEY);
    let due: number[];
    if (last === undefined) {
      const first = lastReviewAtOrBefore(review, tz, now);
      due = first === null ? [] : [first];
    } else {
      due = reviewTimes(review, tz, Number(last), now);
    }
    // One transaction per tick: thousands of small commits would hold the event loop for seconds.
    this.ctx.state.db.transaction(() => {
      for (const t of due) {
        for (const c of this.cache.values()) {
          // Signals are the current ones: the hub keeps no history of online rates.
          c.state = reviewStep(this.policy, c.state, this.evaluateAt(c, t, this.cases.casesOf(c.compound.id)));
        }
        this.ratings.setMeta(REVIEW_KEY, String(t));
      }
      if (due.length > 0 || trigger === 'start') {
        for (const id of this.cache.keys()) this.rerate(id, due.length > 0 ? 'review' : trigger);
        return;
      }
      // Between reviews only time moves the index (decay, effects expiring): re-rate what events
      // touched plus a slice of the city, so a full sweep takes `sweepTicks` ticks and no tick
      // holds the event loop for long. Reads (get) are always computed fresh.
      for (const id of [...this.dirty]) this.rerate(id, trigger);
      const ids = [...this.cache.keys()];
      const n = Math.ceil(ids.length / this.sweepTicks);
      for (let i = 0; i < n && ids.length > 0; i++) {
        this.sweepAt = this.sweepAt % ids.length;
        this.rerate(ids[this.sweepAt++] as string, trigger);
      }
    })();
  }

  /** Store a case (idempotent by id) and re-rate the compounds it touches, at once. */
  recordCase(c: CaseRecord): { result: UpsertResult; before: Map<string, number>; after: Map<string, Cached> } {
    const result = this.cases.upsertCase(c, this.ctx.now());
    const touched = new Set([c.compound]);
    if (result.kind === 'updated') touched.add(result.previous.compound);
    const before = new Map([...touched].map((id) => [id, this.cache.get(id)?.stars ?? -1]));
    const after = new Map<string, Cached>();
    for (const id of touched) {
      const r = result.kind === 'unchanged' ? this.cache.get(id) : this.rerate(id, `case:${c.id}`);
      if (r) after.set(id, r);
    }
    return { result, before, after };
  }

  /** An operator's decision on a device alarm; only confirmed alarms score. */
  decideAlarm(id: string, status: 'confirmed' | 'dismissed', by: string): { alarm: AlarmRow; rating: Cached | undefined } | undefined {
    const prev = this.cases.getAlarm(id);
    if (!prev) return undefined;
    const alarm = prev.status === status ? prev : (this.cases.decideAlarm(id, status, this.ctx.now(), by) ?? prev);
    const rating = prev.status === status ? this.cache.get(alarm.compound) : this.rerate(alarm.compound, `alarm:${id}`);
    return { alarm, rating };
  }

  get(id: string): CompoundRating | undefined {
    return this.rerate(id, 'read', true)?.rating;
  }

  list(): CompoundRating[] {
    for (const id of [...this.dirty]) this.rerate(id, 'tick');
    return [...this.cache.values()].map((c) => {
      const { detail: _detail, ...summary } = c.rating;
      return summary;
    });
  }

  persist(): void {
    this.tracker.persist();
    this.cases.prunePendingAlarms();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.history.stop();
    this.persist();
  }
}
