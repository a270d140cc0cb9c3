import type { Policy } from '../policy/policy-schema.ts';
import type { EngineInput, Evaluation, Signals } from './types.ts';
import { bandFloor, bandStars, composeStars, gatedBand } from './effects.ts';
import { evaluate } from './engine.ts';
import { reviewTimes } from '../policy/time.ts';
import { settleDrops, settledBefore } from './drops.ts';

/**
 * The published star is state: vetoes and downgrades act the moment a case is known, but the
 * base level moves at scheduled reviews, with the same hysteresis up and down so plaques don't
 * flicker and the city's five-star share stays where the data puts it:
 *  - up to a band when the index cleared its threshold + `hysteresisPoints` on the last
 *    `consecutiveRuns` reviews (DOMAIN.md);
 *  - down from a band when the index was more than `dropPoints` below its threshold on the last
 *    `consecutiveRuns` reviews, or at once (between reviews too) when it falls more than
 *    `immediateDropPoints` below it (a serious case need not wait for the review). A fall
 *    between reviews holds until a review lifts it again by the upgrade rule (drops.ts): the
 *    index recovering as old cases decay or leave the window must not flick the plaque back.
 * The base level is decided on `baseIndex` (without active downgrade cases): see composeStars.
 */
export interface ReviewRun {
  at: number;
  /** The base index at that run (active downgrade cases left out), without the calibration offset: every run is judged with the offset of the review reading it. */
  index: number;
  /** Band stars of that run capped by the online-rate gate. */
  candidate: number;
}

export interface RatingState {
  /** Base star level set by the last review; null before the first rated review (provisional). */
  reviewStars: number | null;
  /** The last `consecutiveRuns` review runs, oldest first. */
  runs: ReviewRun[];
  lastReviewAt: number | null;
  /**
   * The city calibration (points added to the base index) of the review that set `reviewStars`
   * (calibration.ts); absent = 0. Kept so stars between reviews are judged on the same scale.
   */
  offset?: number;
  /**
   * Set only on a state settled between reviews (drops.ts `settleDrops`, never stored): the level
   * the last review set, before the base index fell far enough below it to take it down at once.
   */
  droppedFrom?: number;
}

/**
 * What a review and the published stars read of an evaluation: the city calibration carries
 * exactly this between processes (cluster mode), so nothing else of it can sway a review.
 */
export type ReviewEvaluation = Pick<Evaluation, 'at' | 'rated' | 'baseIndex' | 'bandStars' | 'gates' | 'veto' | 'downgradeStars'>;

export const reviewEvaluationOf = (ev: ReviewEvaluation): ReviewEvaluation => ({ at: ev.at, rated: ev.rated, baseIndex: ev.baseIndex, bandStars: ev.bandStars, gates: ev.gates, veto: ev.veto, downgradeStars: ev.downgradeStars });

export const INITIAL_RATING_STATE: RatingState = Object.freeze({ reviewStars: null, runs: [], lastReviewAt: null }) as RatingState;

/** Does `index` reach band `stars` with `margin` points to spare (negative: with that much slack)? */
function clears(policy: Policy, index: number, stars: number, margin: number): boolean {
  const b = policy.stars.bands.find((x) => x.stars === stars);
  if (!b) return true; // the level below every band needs nothing
  return b.inclusive ? index >= b.min + margin : index > b.min + margin;
}

/** The level a review may set at most: the band, capped by the 5★ online-rate gate. */
function levelCap(policy: Policy, ev: ReviewEvaluation): number {
  const g = policy.fiveStarGates;
  return ev.gates.onlineRate ? g.stars : g.stars - 1;
}

/** What a first list publishes from this evaluation alone: the band, capped by the 5★ gates. */
export function reviewCandidate(policy: Policy, ev: ReviewEvaluation, offset = 0): number {
  return gatedBand(policy, offset === 0 ? ev.bandStars : bandStars(policy, ev.baseIndex + offset), { noVeto: true, onlineRate: ev.gates.onlineRate });
}

/**
 * One scheduled review: a pure step of the rating state. `offset` is the city calibration of this
 * review (calibration.ts, 0 without one): the base index is judged as `baseIndex + offset`.
 */
export function reviewStep(policy: Policy, state: RatingState, ev: ReviewEvaluation, offset = 0): RatingState {
  // An unrated compound has no level; its first rated review publishes what the data says.
  if (!ev.rated) {
    const { droppedFrom: _settled, ...kept } = state;
    return { ...kept, lastReviewAt: ev.at };
  }
  const { consecutiveRuns: n, hysteresisPoints: up, dropPoints: down } = policy.review;
  const index = ev.baseIndex + offset;
  const band = bandStars(policy, index);
  const runs = [...state.runs, { at: ev.at, index: ev.baseIndex, candidate: reviewCandidate(policy, ev, offset) }].slice(-n);
  const full = runs.length >= n;
  let level = state.reviewStars;
  if (level === null) {
    level = band;
  } else if (band > level) {
    for (let l = band; l > level; l--) {
      if (bandFloor(policy, l) === null) continue;
      if (full && runs.every((r) => clears(policy, r.index + offset, l, up))) {
        level = l;
        break;
      }
    }
  } else if (band < level) {
    let l = level;
    // Leave a level when every recent run was more than `dropPoints` below it (the mirror of the
    // upgrade rule), or at once when this run is more than `immediateDropPoints` below it.
    while (l > band && ((full && runs.every((r) => !clears(policy, r.index + offset, l, -down))) || !clears(policy, index, l, -policy.review.immediateDropPoints))) l--;
    level = l;
  }
  return { reviewStars: Math.min(level, levelCap(policy, ev)), runs, lastReviewAt: ev.at, ...(offset !== 0 ? { offset } : {}) };
}

/**
 * Stars on the plaque now (null: unrated). The review's level, dropped at once if the base index
 * fell far below it, then composed with the live case effects (composeStars: veto, downgrades).
 * The online-rate gate is judged at reviews only: a short outage must not flick the plaque.
 */
export function publishedStars(policy: Policy, state: RatingState, ev: ReviewEvaluation): number | null {
  if (!ev.rated) return null;
  const offset = state.offset ?? 0;
  const base = fallTo(policy, state.reviewStars ?? reviewCandidate(policy, ev, offset), ev.baseIndex + offset);
  return composeStars(policy, base, { veto: ev.veto, downgradeStars: ev.downgradeStars });
}

/**
 * The level `level` falls to at once when the (calibrated) base index is `index`: one band at a
 * time while the index is more than `immediateDropPoints` below the level's threshold.
 */
export function fallTo(policy: Policy, level: number, index: number): number {
  const band = bandStars(policy, index);
  let l = level;
  while (l > band && !clears(policy, index, l, -policy.review.immediateDropPoints)) l--;
  return l;
}

export interface Rating {
  evaluation: Evaluation;
  /** Settled at `at` (drops.ts): the review's level after the falls since it. */
  state: RatingState;
  stars: number | null;
  /** Reviews folded to get here, oldest first. */
  reviews: { at: number; index: number; reviewStars: number | null }[];
}

/**
 * The whole rating at `at` as a pure function of the inputs: fold the reviews since the policy's
 * epoch, then apply live effects. Corrections (a reclassified case) and late cases are handled by
 * construction, and only this compound's inputs are read.
 */
export function rate(
  policy: Policy,
  input: Omit<EngineInput, 'at' | keyof Signals> & Signals,
  at: number,
  signalsAt?: (t: number) => Signals,
  /** The city calibration of each review (calibration.ts); absent = 0 (one compound alone has no city). */
  offsetAt?: (t: number) => number,
): Rating {
  let state: RatingState = INITIAL_RATING_STATE;
  const reviews: Rating['reviews'] = [];
  for (const t of reviewTimes(policy.review, policy.timezoneOffsetMinutes, -Infinity, at)) {
    const signals = signalsAt ? signalsAt(t) : { onlineRate: input.onlineRate, survey: input.survey };
    const ev = evaluate(policy, { ...input, ...signals, at: t });
    state = reviewStep(policy, settledBefore(policy, state, { ...input, ...signals }, t), ev, offsetAt ? offsetAt(t) : 0);
    reviews.push({ at: t, index: ev.baseIndex, reviewStars: state.reviewStars });
  }
  const evaluation = evaluate(policy, { ...input, at });
  state = settleDrops(policy, settledBefore(policy, state, input, at), evaluation.baseIndex);
  return { evaluation, state, stars: publishedStars(policy, state, evaluation), reviews };
}
