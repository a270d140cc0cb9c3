/**
 * Alerts and the alert budget. A flagged event (score > threshold) raises an alert for its
 * compound unless that compound already alerted within the refractory window: an operator sees
 * one alert per incident, not one per event. The count is the greedy cover of flagged times by
 * windows, which is minimal and therefore monotone in the threshold: binary search is valid.
 */
export interface ScoredPoint {
  t: number;
  compound: string;
  score: number;
  device?: string;
}

export const DEFAULT_REFRACTORY_MS = 10 * 60_000;

/** Alert start times per compound for points already sorted by t. */
export function alertTimes(points: readonly ScoredPoint[], threshold: number, refractoryMs = DEFAULT_REFRACTORY_MS): { compound: string; t: number; device?: string }[] {
  const last = new Map<string, number>();
  const out: { compound: string; t: number; device?: string }[] = [];
  for (const p of points) {
    if (!(p.score > threshold)) continue;
    const prev = last.get(p.compound);
    if (prev !== undefined && p.t - prev < refractoryMs) continue;
    last.set(p.compound, p.t);
    out.push(p.device === undefined ? { compound: p.compound, t: p.t } : { compound: p.compound, t: p.t, device: p.device });
  }
  return out;
}

export function countAlerts(points: readonly ScoredPoint[], threshold: number, refractoryMs = DEFAULT_REFRACTORY_MS): number {
  return alertTimes(points, threshold, refractoryMs).length;
}

/**
 * The alert budget: `maxPerCompoundDay` alerts per compound-day over `compoundDays`, scaled by
 * `safety` (≤ 1: a margin for cities the validation traffic does not show, models/safety.ts),
 * rounded down (alerts are whole; rounding up would allow more than the rate). One function
 * because training (models/kt.ts), its leave-one-city-out folds (models/kt-safety.ts), the
 * family comparison (models/eval/families.ts) and `chooseThreshold` must use the same number, or
 * their thresholds stop being comparable. Keep the order of the factors: the product is floating
 * point, and the committed thresholds were chosen with this one.
 */
export function alertBudget(maxPerCompoundDay: number, compoundDays: number, safety: number): number {
  return Math.floor(maxPerCompoundDay * compoundDays * safety);
}

/** The share of an alert budget that the rules kept by `selectRules` may raise together (models/rules.ts), rounded down like the budget. */
export function ruleBudget(budget: number, ruleShare: number): number {
  return Math.floor(budget * ruleShare);
}

export interface ThresholdChoice {
  threshold: number;
  alerts: number;
  budget: number;
  alertsPerCompoundDay: number;
}

/**
 * The smallest threshold whose alerts on normal traffic stay within `budget` = `alertBudget`
 * (floor(maxPerCompoundDay × compoundDays × safety)). `points` must be sorted by t.
 */
export function chooseThreshold(
  points: readonly ScoredPoint[],
  opts: { compoundDays: number; maxPerCompoundDay: number; safety: number; refractoryMs?: number },
): ThresholdChoice {
  const refractory = opts.refractoryMs ?? DEFAULT_REFRACTORY_MS;
  const budget = alertBudget(opts.maxPerCompoundDay, opts.compoundDays, opts.safety);
  const cands = [...new Set(points.map((p) => p.score))].sort((a, b) => b - a); // descending
  // cands[i] as threshold flags the points strictly above it; alerts grow with i.
  let lo = 0;
  let hi = cands.length - 1;
  let best = 0;
  if (cands.length === 0) return { threshold: 0, alerts: 0, budget, alertsPerCompoundDay: 0 };
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (countAlerts(points, cands[mid]!, refractory) <= budget) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const threshold = cands[best]!;
  const alerts = countAlerts(points, threshold, refractory);
  return { threshold, alerts, budget, alertsPerCompoundDay: alerts / Math.max(1, opts.compoundDays) };
}
