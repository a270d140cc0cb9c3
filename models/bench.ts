import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, FeatureExtractor, type FeatureEvent } from './features.ts';
import { Evaluator, type Autoencoder } from './network.ts';
import { buildOnnx, readOnnx, INPUT_NAME, OUTPUT_NAME } from './onnx-export.ts';
import { modelId, RECIPE } from './recipe.ts';
import { mulberry32 } from './random.ts';

export interface BenchRow {
  batch: number;
  /** onnxruntime-node: µs per event (one session.run per batch). */
  onnxUsPerEvent: number;
  /** Plain TypeScript Float32Array evaluation of the same network: µs per event. */
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

/** A network of the shipped shape with seeded weights: cost does not depend on the weights. */
function syntheticNet(): Autoencoder {
  const rng = mulberry32(1);
  const sizes = [FEATURE_COUNT, ...RECIPE.options.hidden, FEATURE_COUNT];
  const layers = sizes.slice(0, -1).map((a, i) => {
    const b = sizes[i + 1]!;
    return { W: Float32Array.from({ length: a * b }, () => rng.normal() * 0.3), b: new Float32Array(b), inSize: a, outSize: b };
  });
  return { layers, mean: new Float32Array(FEATURE_COUNT), invStd: new Float32Array(FEATURE_COUNT).fill(1) };
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
 * Scoring cost per event at batch 1, 64 and 512: onnxruntime-node vs the plain TypeScript
 * evaluation of the same network, measured in the same run (issue 5, "Cost"). Uses the committed
 * model when present, else a same-shape network.
 */
export async function benchScoring(opts: { batches?: number[]; budgetMsPerCase?: number; modelPath?: string } = {}): Promise<BenchResult> {
  const batches = opts.batches ?? [1, 64, 512];
  const budget = opts.budgetMsPerCase ?? 300;
  const path = opts.modelPath ?? join(import.meta.dirname, `${modelId(RECIPE)}.onnx`);
  let bytes: Uint8Array;
  let net: Autoencoder;
  let model: string;
  const parsed = existsSync(path) ? readOnnx(readFileSync(path)) : undefined;
  if (parsed?.ok) {
    bytes = readFileSync(path);
    net = parsed.net;
    model = parsed.meta.id;
  } else {
    net = syntheticNet();
    model = 'synthetic-same-shape';
    bytes = buildOnnx(net, { id: model, name: model, version: '0', featureVersion: FEATURE_VERSION, featureNames: FEATURE_NAMES, threshold: 0, refractoryMs: 0 });
  }
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const evaluator = new Evaluator(net);
  const rng = mulberry32(2);
  const rows: BenchRow[] = [];
  try {
    for (const batch of batches) {
      const x = Float32Array.from({ length: batch * FEATURE_COUNT }, () => rng.normal());
      const out = new Float32Array(batch);
      const onnx = await timeLoop(budget, async () => {
        const r = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [batch, FEATURE_COUNT]) });
        return r[OUTPUT_NAME];
      });
      const ts = await timeLoop(budget, () => evaluator.score(x, batch, out));
      rows.push({
        batch,
        onnxUsPerEvent: onnx.us / batch,
        typescriptUsPerEvent: ts.us / batch,
        onnxUsPerCall: onnx.us,
        iterations: onnx.iterations,
      });
    }
  } finally {
    await session.release();
  }
  const hidden = net.layers.map((l) => l.outSize);
  return { model, network: [FEATURE_COUNT, ...hidden].join('→'), rows, featuresUsPerEvent: await benchFeatures(budget) };
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
