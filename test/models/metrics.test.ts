import { describe, expect, it } from 'vitest';
import { BurstDetector, RulesDetector, SeverityDetector, TypeBurstDetector } from '../../models/baselines.ts';
import { averagePrecision, evaluateAlerts } from '../../models/metrics.ts';
import { poissonSurprise, poissonTail } from '../../models/poisson.ts';
import { alertBudget, alertTimes, chooseThreshold, countAlerts, ruleBudget } from '../../models/threshold.ts';
import type { FeatureEvent } from '../../models/features.ts';

const MIN = 60_000;

describe('average precision (PR-AUC)', () => {
  it('is 1 for a perfect ranking, the positive rate for a constant score, and handles ties as a group', () => {
    expect(averagePrecision([0.9, 0.8, 0.1, 0.0], [true, true, false, false])).toBe(1);
    expect(averagePrecision([1, 1, 1, 1], [true, false, false, false])).toBe(0.25);
    expect(averagePrecision([0.1, 0.9], [true, false])).toBe(0.5);
    expect(averagePrecision([0.5, 0.4], [false, false])).toBe(0);
  });
});

describe('alerts and thresholds', () => {
  const pts = [
    { t: 0, compound: 'a', score: 5 },
    { t: 2 * MIN, compound: 'a', score: 6 }, // joins the alert at t=0 (refractory 10 min)
    { t: 3 * MIN, compound: 'b', score: 4 },
    { t: 15 * MIN, compound: 'a', score: 3 },
    { t: 16 * MIN, compound: 'a', score: 9 },
  ];
  it('groups flagged events of a compound within the refractory window', () => {
    expect(alertTimes(pts, 4.5).map((a) => [a.compound, a.t])).toEqual([['a', 0], ['a', 16 * MIN]]);
    expect(countAlerts(pts, 0)).toBe(3);
  });
  it('picks the lowest threshold within the budget', () => {
    const c = chooseThreshold(pts, { compoundDays: 2, maxPerCompoundDay: 1, safety: 1 });
    expect(c.budget).toBe(2);
    expect(c.alerts).toBeLessThanOrEqual(2);
    expect(countAlerts(pts, c.threshold)).toBe(c.alerts);
    // one notch lower would break the budget
    expect(countAlerts(pts, 3.5)).toBeGreaterThan(2);
  });
  it('the alert budget is maxPerCompoundDay × compoundDays × safety rounded down, and chooseThreshold uses it', () => {
    expect(alertBudget(1, 2, 1)).toBe(2);
    expect(alertBudget(1, 45, 0.5)).toBe(22); // 22.5: floor, not round
    expect(alertBudget(2, 7, 0.65)).toBe(9); // 9.1
    expect(alertBudget(1, 10, 0.7)).toBe(7); // 10 × 0.7 = 7 exactly in floating point
    expect(alertBudget(1, 0, 0.5)).toBe(0);
    expect(ruleBudget(22, 0.5)).toBe(11);
    expect(ruleBudget(9, 0.5)).toBe(4); // 4.5
    expect(chooseThreshold(pts, { compoundDays: 3, maxPerCompoundDay: 1, safety: 0.5 }).budget).toBe(alertBudget(1, 3, 0.5));
  });
  it('rates incidents: recall, false alerts, precision, F1 within ±5 min, per scenario', () => {
    const inc = [{ id: 'i1', scenario: 'burglary-night', compound: 'a', devices: ['d1'], start: 14 * MIN, end: 20 * MIN }];
    const e = evaluateAlerts(pts, inc, 4.5, { compoundDays: 1 });
    expect(e).toMatchObject({ incidents: 1, detected: 1, recall: 1, alerts: 2, falseAlerts: 1, precision: 0.5 });
    expect(e.f1).toBeCloseTo(2 / 3, 10);
    expect(e.byScenario['burglary-night']).toEqual({ incidents: 1, detected: 1, recall: 1 });
    // a flag at another compound's device of the incident (a cloned card elsewhere) also counts
    const far = evaluateAlerts([{ t: 15 * MIN, compound: 'z', device: 'd1', score: 9 }], inc, 1, { compoundDays: 1 });
    expect(far.recall).toBe(1);
  });
});

describe('baselines', () => {
  const ev = (t: number, type: FeatureEvent['type'], device = 'acc-1'): FeatureEvent => ({ deviceTime: t, device, compound: 'c', kind: 'access', type, attributes: {} });
  it('a 0/1 score alerts when its hits fit the budget, and is silenced (threshold 1) when they do not', () => {
    const bin = [0, 1, 2, 3].map((i) => ({ t: i * 30 * MIN, compound: 'a', score: i === 2 ? 1 : 0 }));
    const fits = chooseThreshold(bin, { compoundDays: 1, maxPerCompoundDay: 1, safety: 1 });
    expect(fits.threshold).toBe(0);
    expect(countAlerts(bin, fits.threshold)).toBe(1);
    const many = [0, 1, 2, 3].map((i) => ({ t: i * 30 * MIN, compound: 'a', score: 1 }));
    expect(chooseThreshold(many, { compoundDays: 1, maxPerCompoundDay: 1, safety: 1 }).threshold).toBe(1);
  });
  it('severity scores the vendor level; the per-type Poisson measures a type against its own rate', () => {
    const s = new SeverityDetector();
    expect(s.push({ ...ev(0, 'door-forced'), severity: 'critical' })).toBe(4);
    expect(s.push({ ...ev(0, 'granted'), severity: 'info' })).toBe(0);
    expect(s.push(ev(0, 'heartbeat'))).toBeNull();
    const t = new TypeBurstDetector(0.1);
    for (let i = 0; i < 300; i++) t.push(ev(i * 2 * MIN, 'granted'));
    // Busy with passages, but the first tailgatings in a burst are measured on the tailgating rate.
    let burst = 0;
    for (let i = 0; i < 4; i++) burst = t.push(ev(700 * MIN + i * 30_000, 'tailgating'))!;
    const passage = t.push(ev(702 * MIN, 'granted'))!;
    expect(burst).toBeGreaterThan(passage + 5);
  });
  it('rules fire on the 5th wrong credential within 5 min and on door held open, not before', () => {
    const r = new RulesDetector();
    const scores = [0, 1, 2, 3, 4].map((i) => r.push(ev(i * MIN, 'denied')));
    expect(scores).toEqual([0, 0, 0, 0, 1]);
    expect(new RulesDetector().push(ev(0, 'door-held'))).toBe(1);
    const slow = new RulesDetector();
    expect([0, 2, 4, 6, 8].map((i) => slow.push(ev(i * MIN, 'denied')))).toEqual([0, 0, 0, 0, 0]);
    expect(slow.push(ev(0, 'heartbeat'))).toBeNull();
  });
  it('the burst detector scores a burst far above the device routine', () => {
    const b = new BurstDetector();
    let routine = 0;
    for (let i = 0; i < 300; i++) routine = b.push(ev(i * 2 * MIN, 'granted'))!;
    let burst = 0;
    for (let i = 0; i < 8; i++) burst = b.push(ev(600 * MIN + i * 1000, 'granted'))!;
    expect(burst).toBeGreaterThan(routine + 5);
  });
  it('Poisson tail is exact for small counts and stable far out', () => {
    expect(poissonTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonTail(0, 5)).toBe(1);
    const far = poissonTail(30, 0.01);
    expect(far).toBeGreaterThan(0);
    expect(far).toBeLessThan(1e-60);
    expect(poissonSurprise(30, 0.01, 30)).toBe(30);
  });
  it('Poisson tail agrees with 1 − CDF summed from 0 at busy rates, also past exp(−λ) underflow', () => {
    // Reference: the CDF from k = 0 in log space (slow, O(n), exact enough for the comparison).
    const ref = (n: number, lambda: number): number => {
      let lnTerm = -lambda;
      let lnCdf = lnTerm;
      for (let k = 1; k < n; k++) {
        lnTerm += Math.log(lambda / k);
        lnCdf = Math.max(lnCdf, lnTerm) + Math.log1p(Math.exp(-Math.abs(lnCdf - lnTerm)));
      }
      return 1 - Math.exp(lnCdf);
    };
    for (const [n, lambda] of [[5, 3], [40, 30], [240, 230], [200, 240], [260, 240], [900, 800]] as const) {
      expect(poissonTail(n, lambda)).toBeCloseTo(ref(n, lambda), 9);
    }
    // λ = 1200: exp(−λ) is 0 in doubles; 1400 events where 1200 are usual is still 7–8 decades out.
    expect(poissonSurprise(1400, 1200)).toBeGreaterThan(6);
    expect(poissonSurprise(1400, 1200)).toBeLessThan(10);
  });
  it('Poisson surprise returns the cap at once for counts past it (no sum over a storm\'s n terms)', () => {
    expect(poissonSurprise(100_000, 0.5, 30)).toBe(30);
    expect(poissonSurprise(12, 0.5, 30)).toBeLessThan(30);
    // just past the cap's edge both ways: the early answer is the capped value, not a guess
    expect(poissonSurprise(25, 0.5, 30)).toBe(30);
    expect(poissonSurprise(21, 0.5, 30)).toBeCloseTo(-Math.log10(poissonTail(21, 0.5)), 9);
  });
});
