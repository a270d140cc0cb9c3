import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EVENT_GROUPS, FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, FeatureExtractor, GROUP_FEATURE, type FeatureEvent } from './features.ts';
import { INPUT_NAME, OUTPUT_NAME } from './onnx-export.ts';
import { ktId, KT_RECIPE } from './kt.ts';
import { mulberry32 } from './random.ts';
import { buildTailOnnx, readTailMeta, readTailOnnx } from './tail-onnx.ts';
import { scoreTail, trainTailModel, type TailModel } from './tail-model.ts';

export interface BenchRow {
  batch: number;
  /** onnxruntime-node: µs per event (one session.run per batch). */
  onnxUsPerEvent: number;
  /** Plain TypeScript evaluation of the same tables: µs per event. */
  typescriptUsPerEvent: number;
  /** onnxruntime µs per call (what one batch costs end to end). */
  onnxUsPerCall: number;
  iterations: number;
}

export interface BenchResult {
  model: string;
  network: string;
  rows: BenchRow[];
  /** Feature extraction (models/features.ts) per event, measured in the same run: the edge pays it too. */
  featuresUsPerEvent: number;
}

/** A tail model of the shipped shape from seeded rows: cost does not depend on the table values. */
function syntheticModel(): TailModel {
  const rng = mulberry32(1);
  const n = 4000;
  const x = Float32Array.from({ length: n * FEATURE_COUNT }, () => Math.abs(rng.normal()));
  for (let i = 0; i < n; i++) x[i * FEATURE_COUNT + GROUP_FEATURE] = i % EVENT_GROUPS.length;
  return trainTailModel(x, n, 10, KT_RECIPE.tail);
}

async function timeLoop(budgetMs: number, fn: () => Promise<unknown> | unknown): Promise<{ us: number; iterations: number }> {
  for (let i = 0; i < 20; i++) await fn(); // warm up (JIT, onnxruntime arenas)
  let iterations = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < budgetMs || iterations < 10) {
    await fn();
    iterations++;
    now = performance.now();
  }
  return { us: ((now - t0) * 1000) / iterations, iterations };
}

/**
 * Scoring cost per event at the batch sizes an edge forms (1 on a quiet site, up to the group
 * committer's 2,000): onnxruntime-node vs the plain TypeScript evaluation of the same tables,
 * measured in the same run. Uses the committed model when present, else a same-shape model.
 */
export async function benchScoring(opts: { batches?: number[]; budgetMsPerCase?: number; modelPath?: string } = {}): Promise<BenchResult> {
  const batches = opts.batches ?? [1, 16, 64, 512, 2048];
  const budget = opts.budgetMsPerCase ?? 300;
  const path = opts.modelPath ?? join(import.meta.dirname, `${ktId(KT_RECIPE)}.onnx`);
  let bytes: Uint8Array;
  let tail: TailModel;
  let model: string;
  const file = existsSync(path) ? readFileSync(path) : undefined;
  const meta = file ? readTailMeta(file) : undefined;
  const parsed = file && meta ? readTailOnnx(file) : undefined;
  if (file && meta && parsed) {
    bytes = file;
    tail = parsed;
    model = meta.id;
  } else {
    tail = syntheticModel();
    model = 'synthetic-same-shape';
    bytes = buildTailOnnx(tail, { id: model, name: model, version: '0', featureVersion: FEATURE_VERSION, featureNames: FEATURE_NAMES, threshold: 0, refractoryMs: 0 });
  }
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const rng = mulberry32(2);
  const rows: BenchRow[] = [];
  try {
    for (const batch of batches) {
      const x = Float32Array.from({ length: batch * FEATURE_COUNT }, () => Math.abs(rng.normal()));
      for (let i = 0; i < batch; i++) x[i * FEATURE_COUNT + GROUP_FEATURE] = i % EVENT_GROUPS.length;
      const out = new Float32Array(batch);
      const onnx = await timeLoop(budget, async () => {
        const r = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [batch, FEATURE_COUNT]) });
        return r[OUTPUT_NAME];
      });
      const ts = await timeLoop(budget, () => scoreTail(tail, x, batch, out));
      rows.push({ batch, onnxUsPerEvent: onnx.us / batch, typescriptUsPerEvent: ts.us / batch, onnxUsPerCall: onnx.us, iterations: onnx.iterations });
    }
  } finally {
    await session.release();
  }
  const groups = tail.edges.length / (tail.used.length * tail.K);
  return { model, network: `tail ${groups}×${tail.used.length}×${tail.K}`, rows, featuresUsPerEvent: await benchFeatures(budget) };
}

/** Per-event cost of the stateful extractor on a stream over 200 devices of 10 compounds. */
async function benchFeatures(budgetMs: number): Promise<number> {
  const fx = new FeatureExtractor();
  const types = ['granted', 'granted', 'granted', 'denied', 'door-held'] as const;
  const events: FeatureEvent[] = Array.from({ length: 4096 }, (_, i) => ({
    deviceTime: 0, device: `c${i % 10}-acc-${i % 20}`, compound: `c${i % 10}`, kind: 'access',
    type: types[i % types.length]!, attributes: { card: `k${(i * 7) % 500}` },
  }));
  const row = new Float32Array(FEATURE_COUNT);
  let t = Date.parse('2026-10-01T00:00:00Z');
  const { us } = await timeLoop(budgetMs, () => {
    for (const ev of events) {
      t += 150; // ~6.7 events/s across the compounds
      ev.deviceTime = t;
      fx.push(ev, row);
    }
  });
  return us / events.length;
}
