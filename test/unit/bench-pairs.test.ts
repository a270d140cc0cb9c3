import { describe, expect, it } from 'vitest';
import { alternate, pairRatios, pairedRatio } from '../../bench/lib/pairs.ts';

describe('alternating pairs', () => {
  it('runs the systems in turn, round after round (A B C A B C), recording the load of each run', async () => {
    const order: string[] = [];
    const sys = (name: string, v: number) => ({
      name,
      run: async () => {
        order.push(name);
        return { value: v * order.length };
      },
    });
    const runs = await alternate([sys('a', 1), sys('b', 10), sys('c', 100)], 3);
    expect(order).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    expect(runs.get('a')!.map((r) => r.value)).toEqual([1, 4, 7]);
    expect(runs.get('b')!.map((r) => r.value)).toEqual([20, 50, 80]);
    for (const r of runs.get('c')!) expect(Number.isFinite(r.load1)).toBe(true);
    await expect(alternate([sys('a', 1)], 0)).rejects.toThrow(/SS_BENCH_ROUNDS/);
  });

  it('divides runs of the same round, never medians of medians', () => {
    // The anchor got 2× faster in round 2 (machine drift); per-pair ratios see the same 0.5.
    expect(pairRatios([10, 20, 10], [20, 40, 20])).toEqual([0.5, 0.5, 0.5]);
    expect(() => pairRatios([1, 2], [1])).toThrow(/SS_BENCH_PAIRS/);
    expect(() => pairRatios([], [])).toThrow(/SS_BENCH_EMPTY/);
  });

  it('summarises per-pair ratios as median, min, max and each pair', () => {
    const run = (value: number) => ({ value, load1: 1 });
    const r = pairedRatio([run(30), run(10), run(40)], [run(10), run(10), run(10)], 'anchor');
    expect(r).toEqual({ median: 3, min: 1, max: 4, runs: [3, 1, 4], against: 'anchor' });
  });
});
