import type { Policy } from './policy-schema.ts';
import type { EngineInput, Evaluation, Signals } from './types.ts';
import { applyEffects, bandFloor } from './effects.ts';
import { evaluate } from './engine.ts';
import { reviewTimes } from './time.ts';

/**
 * The published star is state: vetoes and downgrades act the moment a case is known, but the
 * base level moves only at scheduled reviews, and up only with hysteresis (DOMAIN.md: index ≥
 * threshold + 2 on two consecutive runs) so plaques don't flicker.
 */
export interface ReviewRun {
  at: number;
  index: number;
  /** Band stars capped by the 5★ gates at that run. */
  candidate: number;
}

export interface RatingState {
  /** Base star level set by the last review; null before the first review (provisional). */
  reviewStars: number | null;
  /** The last `consecutiveRuns` review runs, oldest first. */
  runs: ReviewRun[];
  lastReviewAt: number | null;
}

export const INITIAL_RATING_STATE: RatingState = Object.freeze({ reviewStars: null, runs: [], lastReviewAt: null }) as RatingState;

/** What a review would give from this evaluation alone: the band, capped by every 5★ gate. */
export function reviewCandidate(policy: Policy, ev: Evaluation): number {
  const g = policy.fiveStarGates;
  const ok = ev.gates.noVeto && ev.gates.noDowngradeCase && ev.gates.onlineRate;
  return ev.bandStars >= g.stars && !ok ? g.stars - 1 : ev.bandStars;
}

/** One scheduled review: a pure step of the rating state. */
export function reviewStep(policy: Policy, state: RatingState, ev: Evaluation): RatingState {
  const n = policy.review.consecutiveRuns;
  const candidate = reviewCandidate(policy, ev);
  const runs = [...state.runs, { at: ev.at, index: ev.index, candidate }].slice(-n);
  let reviewStars: number;
  if (state.reviewStars === null || candidate <= state.reviewStars) {
    // The first list publishes what the data says; a lower band applies at the review itself.
    reviewStars = candidate;
  } else {
    reviewStars = state.reviewStars;
    for (let level = candidate; level > state.reviewStars; level--) {
      const floor = bandFloor(policy, level);
      if (floor === null) continue;
      const need = floor + policy.review.hysteresisPoints;
      if (runs.length >= n && runs.every((r) => r.index >= need)) {
        reviewStars = level;
        break;
      }
    }
  }
  return { reviewStars, runs, lastReviewAt: ev.at };
}

/** Stars on the plaque now: the review's level with live case effects (veto, downgrades). */
export function publishedStars(policy: Policy, state: RatingState, ev: Evaluation): number {
  const base = state.reviewStars ?? reviewCandidate(policy, ev);
  // The online-rate gate is judged at reviews only: a short outage must not flick the plaque.
  const stars = applyEffects(policy, base, { veto: ev.veto, downgradeStars: ev.downgradeStars, gates: ev.gates }, { onlineGate: false });
  // Only upgrades wait for a review (DOMAIN.md): a plaque never shows more stars than the index's
  // band. Against the level after case effects, not before, so a burglary that also lowers the
  // band still takes off one star, not two.
  return policy.review.immediateDrops ? Math.min(stars, ev.bandStars) : stars;
}

export interface Rating {
  evaluation: Evaluation;
  state: RatingState;
  stars: number;
  /** Reviews folded to get here, oldest first. */
  reviews: { at: number; index: number; reviewStars: number }[];
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
): Rating {
  let state: RatingState = INITIAL_RATING_STATE;
  const reviews: Rating['reviews'] = [];
  for (const t of reviewTimes(policy.review, policy.timezoneOffsetMinutes, -Infinity, at)) {
    const signals = signalsAt ? signalsAt(t) : { onlineRate: input.onlineRate, survey: input.survey };
    const ev = evaluate(policy, { ...input, ...signals, at: t });
    state = reviewStep(policy, state, ev);
    reviews.push({ at: t, index: ev.index, reviewStars: state.reviewStars ?? 0 });
  }
  const evaluation = evaluate(policy, { ...input, at });
  return { evaluation, state, stars: publishedStars(policy, state, evaluation), reviews };
}
