import { REFERENCE_BELOW_ROWS } from '../../edge/scoring/onnx-scorer.ts';
import { benchScoring } from '../../models/bench.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';

/**
 * Anomaly scoring cost per event: features (models/features.ts) + the detector's ONNX graph in
 * onnxruntime-node, against the same tables in plain TypeScript. Issue 15's target is features +
 * scoring ≤ 5 µs per event at the batch sizes the live edge forms (its group commits: tens to
 * 2,000 events; a quiet site sends batches of one, shown for the cost of a call).
 */
export async function benchScoringRows(): Promise<Row[]> {
  const r = await benchScoring({ batches: [1, 16, 64, 512, 2048] });
  // What the edge really pays: its group commits hold ~1 event (measured by `safestar models
  // evaluate --live`: mean 1.0, p90 1 on simulated city traffic), scored by the TypeScript
  // reference below REFERENCE_BELOW_ROWS (the OnnxScorer default) and by onnxruntime above.
  const edge: Row[] = r.rows.map((row) => {
    const scoring = row.batch < REFERENCE_BELOW_ROWS ? row.typescriptUsPerEvent : row.onnxUsPerEvent;
    const total = scoring + r.featuresUsPerEvent;
    return {
      name: `edge scorer as configured, batch ${row.batch} (${row.batch < REFERENCE_BELOW_ROWS ? 'TypeScript reference' : 'onnxruntime'})`,
      unit: 'µs/event',
      value: summarize([total]),
      target: '≤ 5 µs (issue 15)',
      met: total <= 5,
      note: `features ${r.featuresUsPerEvent.toFixed(2)} µs/event + scoring ${scoring.toFixed(2)} µs/event`,
    };
  });
  return edge.concat(r.rows.map((row) => {
    const total = row.onnxUsPerEvent + r.featuresUsPerEvent;
    return {
      name: `features + scoring ${r.network}, batch ${row.batch} (onnxruntime)`,
      unit: 'µs/event',
      value: summarize([total]),
      baseline: { name: 'features + plain TypeScript tables', value: summarize([row.typescriptUsPerEvent + r.featuresUsPerEvent]) },
      ratio: total / (row.typescriptUsPerEvent + r.featuresUsPerEvent),
      ...(row.batch >= 64 ? { target: '≤ 5 µs (issue 15)', met: total <= 5 } : {}),
      note: `${row.onnxUsPerCall.toFixed(1)} µs per call; features ${r.featuresUsPerEvent.toFixed(2)} µs/event`,
    };
  }));
}
