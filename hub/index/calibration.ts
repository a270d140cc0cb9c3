import type { Policy } from '../policy/policy-schema.ts';
import { publishedStars, reviewStep, type RatingState, type ReviewEvaluation } from './rating.ts';

/**
 * The review's city calibration (DOMAIN.md: "the 31.9 % five-star calibration applies to the
 * published plaques, in every month"; Xiamen's list had every district above 25 %).
 *
 * Why it exists: with fixed thresholds the published share is what the data and the hysteresis
 * make of it. Measured on the simulated city (issue 11), the data share alone wanders 28.9–33.6 %
 * between seeds and months (2,285 compounds: ±1.0 pp binomial noise at 1 σ, plus each city's own
 * draw), so no per-compound rule can hold 31.9 ± 1.9 pp in every month; the hysteresis then adds
 * its own drift. A city that publishes a calibrated list re-calibrates it at each review.
 *
 * What it does, at each scheduled review, over the rated compounds of the city:
 *  - one city offset δ (points added to every base index before the bands are read, in this
 *    review's runs and the ones before it), the smallest that makes the share of plaques
 *    published 5★ right after this review reach `fiveStarShare`. It shifts every band alike, so the order of compounds, the hysteresis and
 *    every veto and downgrade stay as they are (a burglary still costs exactly one star);
 *  - a district whose share would stay at or below `minDistrictShare` gets the smallest extra
 *    offset that lifts it over (the "every district above 25 %" of the list), never a lower one;
 *  - |δ| is capped at `maxOffsetPoints`: a city that really gets worse by more than that loses
 *    plaques, it is not hidden by the calibration;
 *  - a city with fewer than `minCompounds` rated compounds is not calibrated (δ = 0): a quantile
 *    of a handful says nothing.
 * The offsets are a pure function of the review's evaluations and the states before it, stored
 * with the review (a replay reads them back), and shown with each rating.
 */
export interface ReviewOffsets {
  at: number;
  /** The city offset (points). */
  city: number;
  /** Total offset of the districts lifted to the floor (others use `city`). */
  districts: Record<string, number>;
  /** Rated compounds the calibration saw. */
  rated: number;
}

export interface CityEntry {
  district: string;
  /** The compound's state before this review. */
  state: RatingState;
  /** Its evaluation at the review instant (only what a review reads: a cluster partition ships it). */
  ev: ReviewEvaluation;
}

export const offsetOf = (o: ReviewOffsets | undefined, district: string): number => (o ? (o.districts[district] ?? o.city) : 0);

/** 2-decimal offsets: stored and shown as such, and a replay gets exactly the same numbers. */
const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Share of `entries` published 5★ right after this review with `offset`. The hysteresis runs keep
 * the raw base index and every run is judged with this review's offset (rating.ts), so the share
 * answers to the offset and one month's offset does not feed into the next (stored calibrated
 * runs made it swing ±5 points month to month). Solving on the data share instead left the
 * hysteresis drift in: 29 % (+2 up) or 34 % (+1 up) by December.
 */
function fiveShare(policy: Policy, entries: readonly CityEntry[], offset: number): number {
  let five = 0;
  for (const e of entries) if (publishedStars(policy, reviewStep(policy, e.state, e.ev, offset), e.ev) === 5) five++;
  return entries.length ? five / entries.length : 0;
}

/**
 * Smallest 2-decimal offset in [lo, hi] whose share reaches `target` (`strict`: exceeds it); hi
 * when none does. The share only grows with the offset (every band is easier to clear), so a
 * bisection finds it. A generator that yields after each pass over the city, so the hub can
 * spread the solve over event-loop slices (a cold pass over 2,285 compounds took up to 150 ms).
 */
function* smallestOffset(policy: Policy, entries: readonly CityEntry[], target: number, lo: number, hi: number, strict: boolean): Generator<void, number> {
  const ok = (d: number) => {
    const s = fiveShare(policy, entries, d);
    return strict ? s > target : s >= target;
  };
  let a = Math.round(lo * 100);
  let b = Math.round(hi * 100);
  const okLo = ok(a / 100);
  yield;
  if (okLo) return a / 100;
  const okHi = ok(b / 100);
  yield;
  if (!okHi) return b / 100;
  while (b - a > 1) {
    const m = Math.floor((a + b) / 2);
    const good = ok(m / 100);
    yield;
    if (good) b = m;
    else a = m;
  }
  return b / 100;
}

/** The calibration of one review, as steps (see smallestOffset); `calibrateReview` runs them all at once. */
export function* calibrationSteps(policy: Policy, at: number, all: readonly CityEntry[]): Generator<void, ReviewOffsets> {
  const c = policy.review.calibration;
  const entries = all.filter((e) => e.ev.rated);
  if (!c || entries.length < c.minCompounds) return { at, city: 0, districts: {}, rated: entries.length };
  const max = c.maxOffsetPoints;
  const city = round2(yield* smallestOffset(policy, entries, c.fiveStarShare, -max, max, false));
  const byDistrict = new Map<string, CityEntry[]>();
  for (const e of entries) {
    const list = byDistrict.get(e.district);
    if (list) list.push(e);
    else byDistrict.set(e.district, [e]);
  }
  const districts: Record<string, number> = {};
  for (const [d, list] of [...byDistrict].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const share = fiveShare(policy, list, city);
    yield;
    if (share > c.minDistrictShare) continue;
    const lifted = round2(yield* smallestOffset(policy, list, c.minDistrictShare, city, max, true));
    if (lifted !== city) districts[d] = lifted;
  }
  return { at, city, districts, rated: entries.length };
}

export function calibrateReview(policy: Policy, at: number, all: readonly CityEntry[]): ReviewOffsets {
  const steps = calibrationSteps(policy, at, all);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
