import { describe, expect, it } from 'vitest';
import { cpuMicrosPer, percentile, slope, summarize } from '../../bench/lib/stats.ts';

describe('benchmark statistics', () => {
  it('summarizes runs as median, min and max (even counts take the mean of the middle two)', () => {
    expect(summarize([3, 1, 2])).toMatchObject({ median: 2, min: 1, max: 3, runs: [3, 1, 2] });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
    expect(() => summarize([])).toThrow(/SS_BENCH_EMPTY/);
  });

  it('takes percentiles by nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });

  it('fits a least-squares slope (RSS growth per minute)', () => {
    expect(slope([0, 1, 2, 3], [10, 12, 14, 16])).toBeCloseTo(2);
    expect(slope([0, 1, 2], [5, 5, 5])).toBe(0);
    expect(slope([1], [1])).toBe(0);
  });

  it('divides the CPU time of a run by the items it did, and refuses a run that did none', () => {
    let sink = 0;
    const r = cpuMicrosPer(() => {
      for (let i = 0; i < 2e6; i++) sink += Math.sqrt(i);
      return 1000;
    });
    expect(sink).toBeGreaterThan(0);
    expect(r.items).toBe(1000);
    expect(r.us).toBeGreaterThan(0);
    expect(() => cpuMicrosPer(() => 0)).toThrow(/SS_BENCH_EMPTY/);
  });
});
