import { concat } from './concat.ts';
import { pointsOf, type Dataset } from './dataset.ts';
import { rulePoints, selectRules, type RuleSelection } from './rules.ts';
import { chooseSafety, type SafetyChoice, type SafetyRule, type TuneWithout } from './safety.ts';
import { alertBudget, chooseThreshold, ruleBudget, type ScoredPoint } from './threshold.ts';

/** One validation city's rows and compound-days. */
export interface ValidationCity {
  name: string;
  ds: Dataset;
  compoundDays: number;
}

export interface SafetyTuning {
  maxPerCompoundDay: number;
  refractoryMs: number;
  ruleShare: number;
  rule: SafetyRule;
}

/**
 * Leave-one-validation-city-out folds, shared by every detector (kt, rules-tuned, the baselines):
 * each detector gets its safety by the same rule from the same folds (fairness).
 */
export class SafetyFolds {
  readonly fits: Dataset[];
  readonly fitCd: number[];
  constructor(readonly cities: readonly ValidationCity[], readonly o: SafetyTuning) {
    this.fits = cities.map((_, i) => concat(cities.filter((_, j) => j !== i).map((c) => c.ds)));
    this.fitCd = cities.map((_, i) => cities.reduce((a, c, j) => a + (j === i ? 0 : c.compoundDays), 0));
  }

  private choose(tune: TuneWithout): SafetyChoice {
    return chooseSafety(this.cities.map((c) => ({ name: c.name, compoundDays: c.compoundDays })), tune, this.o.refractoryMs, this.o.rule);
  }

  private threshold(points: readonly ScoredPoint[], i: number, safety: number): number {
    return chooseThreshold(points, { compoundDays: this.fitCd[i]!, maxPerCompoundDay: this.o.maxPerCompoundDay, safety, refractoryMs: this.o.refractoryMs }).threshold;
  }

  /** A detector whose per-row scores do not depend on the budget (the baselines). */
  fixedScores(scoresOf: (ds: Dataset) => ArrayLike<number>): SafetyChoice {
    const fit = this.fits.map((d) => pointsOf(d, scoresOf(d)));
    const held = this.cities.map((c) => pointsOf(c.ds, scoresOf(c.ds)));
    return this.choose((i, s) => ({ threshold: this.threshold(fit[i]!, i, s), points: held[i]! }));
  }

  /** rules-tuned: rules chosen on the fold's cities under the whole fold budget. */
  rulesOnly(): SafetyChoice {
    return this.choose((i, s) => {
      const r = selectRules(this.fits[i]!, this.budget(i, s), this.o.refractoryMs);
      const groups = new Set(r.groups);
      return { threshold: this.threshold(rulePoints(this.fits[i]!, groups, r.featureColumns), i, s), points: rulePoints(this.cities[i]!.ds, groups, r.featureColumns) };
    });
  }

  /**
   * kt: rules chosen on the fold's cities under ruleShare of the fold budget, folded into the
   * tables (`scoreWith`), threshold on the same cities. Scores are cached per rule set.
   */
  kt(scoreWith: (r: RuleSelection, ds: Dataset) => Float32Array): SafetyChoice {
    // Per fold, the last rule set's points only (the rule set rarely changes between safeties; memory stays one fold's rows).
    const cache = new Map<number, { key: string; fit: ScoredPoint[]; held: ScoredPoint[] }>();
    return this.choose((i, s) => {
      const r = selectRules(this.fits[i]!, ruleBudget(this.budget(i, s), this.o.ruleShare), this.o.refractoryMs);
      const key = `${i}|${r.groups.join(',')}|${r.featureColumns.join(',')}`;
      let e = cache.get(i);
      if (e?.key !== key) {
        const per = this.cities.map((c) => scoreWith(r, c.ds));
        e = { key, fit: pointsOf(this.fits[i]!, concatScores(per.filter((_, j) => j !== i))), held: pointsOf(this.cities[i]!.ds, per[i]!) };
        cache.set(i, e);
      }
      return { threshold: this.threshold(e.fit, i, s), points: e.held };
    });
  }

  private budget(i: number, safety: number): number {
    return alertBudget(this.o.maxPerCompoundDay, this.fitCd[i]!, safety);
  }
}

function concatScores(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
