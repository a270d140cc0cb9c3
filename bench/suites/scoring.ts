import { benchScoring } from '../../models/bench.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';

/** Anomaly scoring cost per event: onnxruntime-node vs the same network in plain TypeScript. */
export async function benchScoringRows(): Promise<Row[]> {
  const r = await benchScoring({ batches: [1, 64, 512] });
  return r.rows.map((row) => ({
    name: `scoring ${r.network}, batch ${row.batch} (onnxruntime)`,
    unit: 'µs/event',
    value: summarize([row.onnxUsPerEvent]),
    baseline: { name: 'plain TypeScript Float32Array', value: summarize([row.typescriptUsPerEvent]) },
    ratio: row.onnxUsPerEvent / row.typescriptUsPerEvent,
    // The edge scores its group-commit micro-batches, never one event per call: batch 1 is shown
    // for the cost of a call, the target applies where the edge runs.
    ...(row.batch >= 64 ? { target: '< 24 µs (broker cost per message)', met: row.onnxUsPerEvent < 24 } : {}),
    note: `${row.onnxUsPerCall.toFixed(1)} µs per call`,
  }));
}
