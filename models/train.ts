import type { Autoencoder, DenseLayer } from './network.ts';
import { mulberry32, shuffleInPlace } from './random.ts';
import { ModelError } from './errors.ts';

/**
 * Deterministic training of the autoencoder on normal traffic: plain Adam on mini-batches, in
 * float64 (JS numbers) for stable gradients, rounded to float32 once at the end. Same features,
 * options and seed → the same weights bit for bit (V8's Math.tanh/exp are fdlibm ports, identical
 * on every platform), which is what lets `models train` reproduce the committed model.
 */
export interface TrainOptions {
  seed: number;
  /** Hidden layer sizes; output size = input size. 16→8→4→8→16 is [8, 4, 8]. */
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Training uses at most this many samples (a seeded subsample): keeps training seconds. */
  maxSamples: number;
  /** Floor of the per-feature std before inverting it: a feature that never moves in normal
   * traffic (e.g. door_open_log) must not turn one odd value into an infinite score. */
  stdFloor: number;
}

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainOptions> = Object.freeze({
  seed: 20261129,
  hidden: [8, 4, 8],
  epochs: 12,
  batchSize: 64,
  learningRate: 3e-3,
  maxSamples: 40_000,
  stdFloor: 0.05,
});

export interface TrainResult {
  net: Autoencoder;
  /** Mean training loss per epoch (standardized units). */
  lossHistory: number[];
  samplesUsed: number;
}

/** Train on `n` row-major samples of dimension `d` in `x`. */
export function trainAutoencoder(x: Float32Array, n: number, d: number, options: Partial<TrainOptions> = {}): TrainResult {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  if (n < 2) throw new ModelError('SS_MODEL_TOO_FEW_SAMPLES', `need at least 2 training samples, got ${n}`);
  const rng = mulberry32(o.seed);

  // Seeded subsample, then standardization statistics over it.
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  shuffleInPlace(all, rng);
  const m = Math.min(n, o.maxSamples);
  const idx = all.subarray(0, m).slice().sort();

  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const i of idx) for (let j = 0; j < d; j++) mean[j] = mean[j]! + x[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / m;
  for (const i of idx) for (let j = 0; j < d; j++) sq[j] = sq[j]! + (x[i * d + j]! - mean[j]!) ** 2;
  const mean32 = Float32Array.from(mean);
  const invStd32 = new Float32Array(d);
  for (let j = 0; j < d; j++) invStd32[j] = 1 / Math.max(o.stdFloor, Math.sqrt(sq[j]! / m));

  const data = new Float64Array(m * d);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < d; j++) data[r * d + j] = Math.fround(x[idx[r]! * d + j]! - mean32[j]!) * invStd32[j]!;
  }

  // Xavier-uniform init from the seed.
  const sizes = [d, ...o.hidden, d];
  const W: Float64Array[] = [];
  const B: Float64Array[] = [];
  for (let l = 0; l < sizes.length - 1; l++) {
    const a = sizes[l]!;
    const b = sizes[l + 1]!;
    const lim = Math.sqrt(6 / (a + b));
    const w = new Float64Array(a * b);
    for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * lim;
    W.push(w);
    B.push(new Float64Array(b));
  }
  const L = W.length;
  const mW = W.map((w) => new Float64Array(w.length));
  const vW = W.map((w) => new Float64Array(w.length));
  const mB = B.map((b) => new Float64Array(b.length));
  const vB = B.map((b) => new Float64Array(b.length));
  const gW = W.map((w) => new Float64Array(w.length));
  const gB = B.map((b) => new Float64Array(b.length));
  const acts = sizes.map((s) => new Float64Array(s));
  const deltas = sizes.map((s) => new Float64Array(s));
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  let step = 0;

  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  const lossHistory: number[] = [];

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    shuffleInPlace(order, rng);
    let epochLoss = 0;
    for (let start = 0; start < m; start += o.batchSize) {
      const end = Math.min(m, start + o.batchSize);
      const bs = end - start;
      for (let l = 0; l < L; l++) {
        gW[l]!.fill(0);
        gB[l]!.fill(0);
      }
      for (let s = start; s < end; s++) {
        const row = order[s]! * d;
        const a0 = acts[0]!;
        for (let j = 0; j < d; j++) a0[j] = data[row + j]!;
        // forward
        for (let l = 0; l < L; l++) {
          const inp = acts[l]!;
          const outp = acts[l + 1]!;
          const w = W[l]!;
          const b = B[l]!;
          const nIn = sizes[l]!;
          const nOut = sizes[l + 1]!;
          for (let k = 0; k < nOut; k++) {
            let z = b[k]!;
            for (let i = 0; i < nIn; i++) z += inp[i]! * w[i * nOut + k]!;
            outp[k] = l === L - 1 ? z : Math.tanh(z);
          }
        }
        // loss = mean over batch of mean_j (y - x)^2
        const y = acts[L]!;
        const dL = deltas[L]!;
        for (let j = 0; j < d; j++) {
          const diff = y[j]! - a0[j]!;
          epochLoss += (diff * diff) / d;
          dL[j] = (2 * diff) / (d * bs);
        }
        // backward
        for (let l = L - 1; l >= 0; l--) {
          const inp = acts[l]!;
          const dOut = deltas[l + 1]!;
          const dIn = deltas[l]!;
          const w = W[l]!;
          const gw = gW[l]!;
          const gb = gB[l]!;
          const nIn = sizes[l]!;
          const nOut = sizes[l + 1]!;
          for (let k = 0; k < nOut; k++) gb[k] = gb[k]! + dOut[k]!;
          for (let i = 0; i < nIn; i++) {
            let acc = 0;
            const ai = inp[i]!;
            for (let k = 0; k < nOut; k++) {
              gw[i * nOut + k] = gw[i * nOut + k]! + ai * dOut[k]!;
              acc += w[i * nOut + k]! * dOut[k]!;
            }
            // inputs of layer l > 0 are tanh outputs: d tanh = 1 - a²
            dIn[i] = l > 0 ? acc * (1 - ai * ai) : acc;
          }
        }
      }
      // Adam step
      step++;
      const c1 = 1 - Math.pow(beta1, step);
      const c2 = 1 - Math.pow(beta2, step);
      for (let l = 0; l < L; l++) {
        adam(W[l]!, gW[l]!, mW[l]!, vW[l]!, o.learningRate, beta1, beta2, c1, c2, eps);
        adam(B[l]!, gB[l]!, mB[l]!, vB[l]!, o.learningRate, beta1, beta2, c1, c2, eps);
      }
    }
    lossHistory.push(epochLoss / m);
  }

  const layers: DenseLayer[] = W.map((w, l) => ({
    W: Float32Array.from(w),
    b: Float32Array.from(B[l]!),
    inSize: sizes[l]!,
    outSize: sizes[l + 1]!,
  }));
  return { net: { layers, mean: mean32, invStd: invStd32 }, lossHistory, samplesUsed: m };
}

function adam(
  p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array,
  lr: number, b1: number, b2: number, c1: number, c2: number, eps: number,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    m[i] = b1 * m[i]! + (1 - b1) * gi;
    v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
    p[i] = p[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
  }
}
