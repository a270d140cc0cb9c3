import { describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { generateCaseHistories } from '../../simulators/cases/generate.ts';
import { calibrate, formatCalibration } from '../../cli/calibrate.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';

describe('calibration on the simulated city (DOMAIN.md target)', () => {
  // Several seeds, not one lucky one. With 2,285 compounds the binomial noise alone is ±1 pp (1 σ).
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 31.9 % ± 1.9 pp five-star, every district > 25 %, bottom 10 mostly fraud and disputes`, () => {
      const r = calibrate(defaultPolicy(), generateCity({ compounds: 2285, seed }), { seed });
      expect(r.compounds).toBe(2285);
      expect(Math.abs(r.fiveStarShare - 0.319)).toBeLessThanOrEqual(0.019);
      expect(Object.keys(r.districts)).toHaveLength(6);
      for (const d of Object.values(r.districts)) expect(d.fiveStarShare).toBeGreaterThan(0.25);
      expect(r.bottomFraudOrDispute).toBeGreaterThan(0.5);
      const last = formatCalibration(r).trim().split('\n').pop() as string;
      const json = JSON.parse(last) as { fiveStarShare: number; districts: Record<string, number> };
      expect(json.fiveStarShare).toBeCloseTo(r.fiveStarShare, 4);
      expect(Object.keys(json.districts).sort()).toEqual(Object.keys(r.districts).sort());
    });
  }

  it('case histories are deterministic by seed and differ between seeds', () => {
    const city = generateCity({ compounds: 50, seed: 7 });
    const at = Date.UTC(2026, 4, 27, 16);
    const a = generateCaseHistories(city, { seed: 7, at });
    expect(generateCaseHistories(city, { seed: 7, at })).toEqual(a);
    expect(generateCaseHistories(city, { seed: 8, at })).not.toEqual(a);
    const cases = a.flatMap((h) => h.cases);
    expect(cases.length).toBeGreaterThan(100);
    for (const c of cases) {
      expect(c.registeredAt).toBeGreaterThanOrEqual(c.occurredAt);
      expect(c.registeredAt).toBeLessThanOrEqual(at);
      expect(defaultPolicy().categories[c.category]).toBeDefined();
    }
    // Overdispersion (negative binomial): the variance of fraud counts per 1,000 households exceeds the mean.
    const rates = a.map((h) => (h.cases.filter((c) => c.category === 'fraud-victim').length * 1000) / h.compound.households);
    const mean = rates.reduce((s, x) => s + x, 0) / rates.length;
    const variance = rates.reduce((s, x) => s + (x - mean) ** 2, 0) / rates.length;
    expect(variance).toBeGreaterThan(2 * mean);
  });
});
