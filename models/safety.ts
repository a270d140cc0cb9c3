import { countAlerts, type ScoredPoint } from './threshold.ts';

/**
 * The alert budget's safety factor, measured instead of fixed (issue 15). The threshold is the
 * lowest score whose alerts on the validation cities stay within maxPerCompoundDay × safety per
 * compound-day; what matters is how far a *new* city lands from that. So the spread is measured
 * on the validation cities themselves, leave one city out: for a candidate safety, the detector is
 * tuned (rules and threshold) on two validation cities and its false-alert rate read on the third.
 * The safety is the largest one on the grid for which the worst held-out city, and every smaller
 * safety's worst, stays ≤ `worstMax` alerts per compound-day. Nothing here reads development,
 * reserved or fresh seeds.
 */
export interface SafetyRule {
  /** Candidate safeties, ascending; the first is the floor (kt ≤ 2.4.0 used 0.5 fixed). */
  grid: readonly number[];
  /** The worst held-out city may raise at most this many alerts per compound-day (below the budget of 1: a margin for what three cities do not show). */
  worstMax: number;
}

export const DEFAULT_SAFETY_RULE: Readonly<SafetyRule> = Object.freeze({
  grid: Object.freeze([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1]),
  worstMax: 0.8,
});

/** One held-out unit: its points (sorted by t) come from the detector tuned without it. */
export interface HeldOutUnit {
  name: string;
  compoundDays: number;
}

/** A detector tuned on the other units at `safety`: its threshold and its points on the held-out unit. */
export type TuneWithout = (heldOut: number, safety: number) => { threshold: number; points: readonly ScoredPoint[] };

export interface SafetyStep {
  safety: number;
  /** False alerts per compound-day of each held-out unit, in unit order. */
  heldOut: number[];
  worst: number;
}

export interface SafetyChoice {
  safety: number;
  rule: string;
  units: string[];
  steps: SafetyStep[];
}

export function chooseSafety(units: readonly HeldOutUnit[], tune: TuneWithout, refractoryMs: number, rule: SafetyRule = DEFAULT_SAFETY_RULE): SafetyChoice {
  const steps: SafetyStep[] = [];
  let safety = rule.grid[0]!;
  for (const s of rule.grid) {
    const heldOut = units.map((u, i) => {
      const t = tune(i, s);
      return round(countAlerts(t.points, t.threshold, refractoryMs) / Math.max(1, u.compoundDays));
    });
    const worst = Math.max(...heldOut);
    steps.push({ safety: s, heldOut, worst });
    // Stop at the first safety whose worst held-out unit is over: a larger one is not trusted even if it happens to come back under.
    if (worst > rule.worstMax) break;
    safety = s;
  }
  return {
    safety,
    rule: `largest safety on [${rule.grid.join(', ')}] whose threshold, tuned on all but one validation city, keeps the worst held-out city ≤ ${rule.worstMax} false alerts per compound-day (and every smaller safety too); floor ${rule.grid[0]}`,
    units: units.map((u) => u.name),
    steps,
  };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
