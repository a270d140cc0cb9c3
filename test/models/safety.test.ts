import { describe, expect, it } from 'vitest';
import { chooseSafety } from '../../models/safety.ts';
import type { ScoredPoint } from '../../models/threshold.ts';

const HOUR = 3_600_000;
/** `n` flagged points (score 1) an hour apart in one compound: n alerts at threshold 0.5. */
const alerts = (n: number): ScoredPoint[] => Array.from({ length: n }, (_, i) => ({ t: i * HOUR, compound: 'c', score: 1 }));

describe('chooseSafety (leave one validation unit out)', () => {
  const units = [{ name: 'a', compoundDays: 10 }, { name: 'b', compoundDays: 20 }];
  const rule = { grid: [0.5, 0.6, 0.7, 0.8], worstMax: 0.8 };

  it('takes the largest safety whose worst held-out unit stays within worstMax', () => {
    // Held-out rate grows with the safety: unit a at 1.2 × safety, unit b at 0.9 × safety.
    const tune = (i: number, s: number) => ({ threshold: 0.5, points: alerts(Math.round((i === 0 ? 1.2 : 0.9) * s * units[i]!.compoundDays)) });
    const c = chooseSafety(units, tune, 600_000, rule);
    // a: 6, 7, 8, 10 alerts in 10 compound-days (b stays below) → 0.7 is the largest within 0.8.
    expect(c.safety).toBe(0.7);
    expect(c.steps.map((st) => st.worst)).toEqual([0.6, 0.7, 0.8, 1]);
    expect(c.steps[1]!.heldOut).toEqual([0.7, 0.55]);
    expect(c.units).toEqual(['a', 'b']);
  });

  it('stops at the first safety over the margin even if a larger one comes back under', () => {
    const worst = new Map([[0.5, 5], [0.6, 9], [0.7, 5], [0.8, 5]]);
    const c = chooseSafety(units, (i, s) => ({ threshold: 0.5, points: alerts(i === 0 ? worst.get(s)! : 0) }), 600_000, rule);
    expect(c.safety).toBe(0.5);
    expect(c.steps).toHaveLength(2);
  });

  it('falls back to the floor when even the first safety is over', () => {
    const c = chooseSafety(units, () => ({ threshold: 0.5, points: alerts(30) }), 600_000, rule);
    expect(c.safety).toBe(0.5);
    expect(c.steps).toHaveLength(1);
    expect(c.steps[0]!.worst).toBe(3);
  });

  it('counts alerts after the refractory window, per compound', () => {
    // Two flagged points 5 min apart are one alert at a 10-min refractory.
    const pts: ScoredPoint[] = [{ t: 0, compound: 'c', score: 1 }, { t: 300_000, compound: 'c', score: 1 }];
    const c = chooseSafety([{ name: 'a', compoundDays: 1 }, { name: 'b', compoundDays: 1 }], () => ({ threshold: 0.5, points: pts }), 600_000, { grid: [0.5], worstMax: 2 });
    expect(c.steps[0]!.heldOut).toEqual([1, 1]);
  });
});
