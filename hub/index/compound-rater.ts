import type { CaseStore, StoredCase } from '../cases/store.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { evaluate } from './engine.ts';
import { INITIAL_RATING_STATE, publishedStars, reviewStep, type RatingState, type ReviewEvaluation } from './rating.ts';
import { DAY_MS, lastReviewAtOrBefore, reviewTimes } from '../policy/time.ts';
import type { CompoundRef, ConfirmedAlarm, EngineInput, Evaluation, Signals } from './types.ts';
import { offsetOf, type CityEntry, type ReviewOffsets } from './calibration.ts';
import { settleDrops, settledBefore } from './drops.ts';

/** The city calibration of the review at `t`; undefined while it is still being computed. */
export type OffsetsAt = (t: number) => ReviewOffsets | undefined;

/**
 * The evaluation a review at `t` must use when it was fixed earlier (cluster mode: the one the
 * city calibration was solved on, reported by the partition); undefined = evaluate now.
 */
export type ReviewedAt = (compound: string, t: number) => ReviewEvaluation | undefined;

/** Fixed thresholds: every review has offset 0. */
export const NO_CALIBRATION: OffsetsAt = (at) => ({ at, city: 0, districts: {}, rated: 0 });

/**
 * How far back a compound's cases can still matter: the index window, the longest downgrade, and
 * the longest veto (a case up to maxCaseAgeDays old when registered, vetoing minDays after that,
 * or to the end of its year, plus up to a quarter until the review that ends it).
 */
export function lookbackMs(policy: Policy): number {
  const longestDowngrade = Math.max(0, ...policy.downgrades.rules.map((r) => r.durationDays));
  const veto = Math.max(366, policy.veto.maxCaseAgeDays + policy.veto.minDaysFromRegistration) + 92;
  return Math.max(policy.window.days, longestDowngrade, veto) * DAY_MS;
}

/** What a rater reads: the SQLite CaseStore, or a partition owner's in-memory view in cluster mode. */
export type CaseSource = Pick<CaseStore, 'casesOf' | 'confirmedAlarmsOf' | 'surveyOf'>;

export interface RatedNow {
  evaluation: Evaluation;
  /** The state as it stands now (drops.ts: the review's level after the falls since it); what is shown, never stored. */
  shown: RatingState;
  stars: number | null;
  cases: readonly StoredCase[];
  signals: Signals;
}

/**
 * One compound's rating state and the inputs it reads, with one owner: it loads only its own
 * rows (cases in the policy's look-back through the (compound, occurred_at) index), runs its own
 * due reviews, and hands back what to save. Nothing here touches another compound, so compounds
 * can be spread over workers that each own a share of the city.
 */
export class CompoundRater {
  state: RatingState;
  /** Published stars (null: unrated; undefined: never published). */
  stars: number | null | undefined;
  index: number | undefined;
  /** Earliest instant a veto or downgrade seen at the last rating ends: re-rate then. */
  nextChangeAt = Infinity;
  private inputs: { from: number; cases: StoredCase[]; alarms: ConfirmedAlarm[]; survey: number | null } | undefined;

  constructor(
    private readonly policy: Policy,
    readonly compound: CompoundRef & { name: string },
    saved?: { state: RatingState; stars: number | null; index: number },
  ) {
    this.state = saved?.state ?? INITIAL_RATING_STATE;
    this.stars = saved?.stars;
    this.index = saved?.index;
  }

  /** Drop cached inputs: a case, alarm decision or survey for this compound changed. */
  invalidate(): void {
    this.inputs = undefined;
  }

  private load(store: CaseSource, now: number) {
    const from = now - lookbackMs(this.policy);
    // Reload when stale by a day so cases that left the look-back stop costing time.
    if (!this.inputs || from - this.inputs.from > DAY_MS) {
      const windowFrom = now - this.policy.window.days * DAY_MS - DAY_MS;
      this.inputs = { from, cases: store.casesOf(this.compound.id, from), alarms: store.confirmedAlarmsOf(this.compound.id, windowFrom), survey: store.surveyOf(this.compound.id) };
    }
    return this.inputs;
  }

  /** Reviews due for this compound by `now` (the first time: the latest past review, the first list). */
  dueReviews(now: number): number[] {
    const { review, timezoneOffsetMinutes: tz } = this.policy;
    if (this.state.lastReviewAt === null) {
      const first = lastReviewAtOrBefore(review, tz, now);
      return first === null ? [] : [first];
    }
    return reviewTimes(review, tz, this.state.lastReviewAt, now);
  }

  /**
   * Run the due reviews before `until` whose city calibration is known (`offsetsAt`; a review
   * still waiting for its calibration stops here and runs at a later rating).
   */
  private runReviews(base: Omit<EngineInput, 'at'>, now: number, offsetsAt: OffsetsAt, until = Infinity, reviewedAt?: ReviewedAt): number {
    let n = 0;
    for (const t of this.dueReviews(now)) {
      if (t >= until) break;
      const offsets = offsetsAt(t);
      if (offsets === undefined) break;
      const ev = reviewedAt?.(this.compound.id, t) ?? evaluate(this.policy, { ...base, at: t });
      this.state = reviewStep(this.policy, settledBefore(this.policy, this.state, base, t), ev, offsetOf(offsets, this.compound.district));
      n++;
    }
    return n;
  }

  private inputsAt(store: CaseSource, now: number, onlineRate: number | null) {
    const inputs = this.load(store, now);
    const signals = { onlineRate, survey: inputs.survey };
    return { inputs, signals, base: { compound: this.compound, cases: inputs.cases, alarms: inputs.alarms, ...signals } };
  }

  /**
   * What the city calibration of the review at `t` needs from this compound: its state before
   * that review (earlier due reviews run first) and its evaluation at `t`.
   */
  reviewEntry(store: CaseSource, t: number, now: number, onlineRate: number | null, offsetsAt: OffsetsAt, reviewedAt?: ReviewedAt): CityEntry {
    const { base } = this.inputsAt(store, now, onlineRate);
    this.runReviews(base, now, offsetsAt, t, reviewedAt);
    return { district: this.compound.district, state: settledBefore(this.policy, this.state, base, t), ev: evaluate(this.policy, { ...base, at: t }) };
  }

  /** Run this compound's due reviews, then rate it at `now`. Signals are the current ones. */
  rate(store: CaseSource, now: number, onlineRate: number | null, offsetsAt: OffsetsAt = NO_CALIBRATION, reviewedAt?: ReviewedAt): RatedNow & { reviewed: number } {
    const { inputs, signals, base } = this.inputsAt(store, now, onlineRate);
    const reviewed = this.runReviews(base, now, offsetsAt, Infinity, reviewedAt);
    const evaluation = evaluate(this.policy, { ...base, at: now });
    // As rate() does: the falls since the last review, and one at this instant (droppedFrom).
    const shown = settleDrops(this.policy, settledBefore(this.policy, this.state, base, now), evaluation.baseIndex);
    const stars = publishedStars(this.policy, shown, evaluation);
    const ends = [...evaluation.downgrades.map((d) => d.until), ...(evaluation.veto ? [evaluation.veto.until] : [])].filter((t) => t > now);
    this.nextChangeAt = ends.length ? Math.min(...ends) : Infinity;
    return { evaluation, shown, stars, cases: inputs.cases, signals, reviewed };
  }
}
