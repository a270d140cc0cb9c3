/**
 * The anomaly network: a small dense autoencoder (16→8→4→8→16 by default, tanh hidden layers,
 * linear output) on standardized features; the score is the mean squared reconstruction error.
 * This file is the plain TypeScript reference evaluation the ONNX export must match, and the
 * "plain Float32Array" contender in the benchmark.
 */

export interface DenseLayer {
  /** Row-major [in × out], so y = x · W + b matches ONNX MatMul on [N × in] inputs. */
  W: Float32Array;
  b: Float32Array;
  inSize: number;
  outSize: number;
}

export interface Autoencoder {
  layers: DenseLayer[];
  /** Standardization folded into the model: xn = (x − mean) · invStd. */
  mean: Float32Array;
  invStd: Float32Array;
}

export function inputSize(net: Autoencoder): number {
  return net.mean.length;
}

/** Scratch buffers sized for `n` samples, reusable across calls (no garbage on the hot path). */
export class Evaluator {
  private cap = 0;
  private bufs: Float32Array[] = [];
  private xn = new Float32Array(0);

  constructor(readonly net: Autoencoder) {}

  private ensure(n: number): void {
    if (n <= this.cap) return;
    this.cap = Math.max(n, this.cap * 2);
    this.bufs = this.net.layers.map((l) => new Float32Array(this.cap * l.outSize));
    this.xn = new Float32Array(this.cap * inputSize(this.net));
  }

  /**
   * Score `n` samples laid out row-major in `x` ([n × d]); writes into `out` (length ≥ n).
   * Every intermediate is stored as float32 like onnxruntime does, so the two agree closely.
   */
  score(x: Float32Array, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
    const { layers, mean, invStd } = this.net;
    const d = mean.length;
    this.ensure(n);
    const xn = this.xn;
    for (let s = 0, i = 0; s < n; s++) {
      for (let j = 0; j < d; j++, i++) xn[i] = Math.fround(x[i]! - mean[j]!) * invStd[j]!;
    }
    let input: Float32Array = xn;
    for (let li = 0; li < layers.length; li++) {
      const L = layers[li]!;
      const y = this.bufs[li]!;
      const last = li === layers.length - 1;
      for (let s = 0; s < n; s++) {
        const xo = s * L.inSize;
        const yo = s * L.outSize;
        for (let o = 0; o < L.outSize; o++) {
          let acc = 0;
          for (let k = 0; k < L.inSize; k++) acc += input[xo + k]! * L.W[k * L.outSize + o]!;
          const v = Math.fround(Math.fround(acc) + L.b[o]!);
          y[yo + o] = last ? v : Math.tanh(v);
        }
      }
      input = y;
    }
    for (let s = 0; s < n; s++) {
      let acc = 0;
      for (let j = 0; j < d; j++) {
        const diff = Math.fround(xn[s * d + j]! - input[s * d + j]!);
        acc += Math.fround(diff * diff);
      }
      out[s] = acc / d;
    }
    return out;
  }
}

/** Convenience: score a batch with a fresh evaluator. */
export function scoreBatch(net: Autoencoder, x: Float32Array, n: number): Float32Array {
  return new Evaluator(net).score(x, n);
}
