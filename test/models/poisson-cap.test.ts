import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poissonSurprise, poissonTail } from '../../models/poisson.ts';

/** What poissonSurprise computed before it learnt to stop at its cap: the full sums. */
function bySums(n: number, lambda: number, cap: number): number {
  const p = poissonTail(n, Math.max(lambda, 1e-12));
  return p <= 0 ? cap : Math.min(cap, -Math.log10(p));
}

describe('poissonSurprise past its cap', () => {
  it('equals the full sums for counts and rates a device window sees', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 400, noNaN: true }), fc.constantFrom(10, 30), (n, lambda, cap) => {
        expect(poissonSurprise(n, lambda, cap)).toBe(bySums(n, lambda, cap));
      }),
      { numRuns: 5000 },
    );
  });

  it('equals the full sums on a grid around the cap', () => {
    let capped = 0;
    for (let n = 0; n <= 400; n++) {
      for (const lambda of [0, 1e-6, 0.01, 0.1, 0.5, 1, 2, 5, 10, 20, 50, 100, 150]) {
        const v = poissonSurprise(n, lambda, 30);
        expect(v).toBe(bySums(n, lambda, 30));
        if (v === 30) capped++;
      }
    }
    // The grid reaches the cap often, so the shortcut is exercised, not just the sums.
    expect(capped).toBeGreaterThan(1000);
  });
});
