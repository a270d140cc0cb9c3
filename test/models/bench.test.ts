import { describe, expect, it } from 'vitest';
import { benchScoring } from '../../models/bench.ts';

describe('benchScoring (shape only: speed is for the benchmark harness, not unit tests)', () => {
  it('measures onnxruntime and plain TypeScript at the edge\'s batch sizes on the committed model', async () => {
    const r = await benchScoring({ budgetMsPerCase: 5 });
    expect(r.network).toMatch(/^tail \d+×\d+×\d+$/);
    expect(r.model).toBe('kt-2.7.0');
    expect(r.rows.map((x) => x.batch)).toEqual([1, 16, 64, 512, 2048]);
    for (const row of r.rows) {
      expect(row.onnxUsPerEvent).toBeGreaterThan(0);
      expect(row.typescriptUsPerEvent).toBeGreaterThan(0);
      expect(row.onnxUsPerCall).toBeCloseTo(row.onnxUsPerEvent * row.batch, 6);
      expect(row.iterations).toBeGreaterThanOrEqual(10);
    }
    expect(r.featuresUsPerEvent).toBeGreaterThan(0);
  });
});
