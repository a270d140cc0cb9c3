import { describe, expect, it } from 'vitest';
import { benchScoring } from '../../models/bench.ts';

describe('benchScoring (shape only: speed is for the benchmark harness, not unit tests)', () => {
  it('measures onnxruntime and plain TypeScript at batch 1, 64 and 512 on the committed network', async () => {
    const r = await benchScoring({ budgetMsPerCase: 5 });
    expect(r.network).toBe('16→8→4→8→16');
    expect(r.model).toBe('ae16-1.0.0');
    expect(r.rows.map((x) => x.batch)).toEqual([1, 64, 512]);
    for (const row of r.rows) {
      expect(row.onnxUsPerEvent).toBeGreaterThan(0);
      expect(row.typescriptUsPerEvent).toBeGreaterThan(0);
      expect(row.onnxUsPerCall).toBeCloseTo(row.onnxUsPerEvent * row.batch, 6);
      expect(row.iterations).toBeGreaterThanOrEqual(10);
    }
    expect(r.featuresUsPerEvent).toBeGreaterThan(0);
  });
});
