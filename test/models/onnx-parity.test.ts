import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildOnnx, readOnnx, INPUT_NAME, OUTPUT_NAME, type ModelMeta } from '../../models/onnx-export.ts';
import { Evaluator } from '../../models/network.ts';
import { trainAutoencoder } from '../../models/train.ts';
import { mulberry32 } from '../../models/random.ts';

const D = 16;

/** Correlated synthetic "normal" data: 3 latent factors mixed into 16 dims plus noise. */
function syntheticData(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const mix = Array.from({ length: 3 * D }, () => rng.normal());
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const z = [rng.normal(), rng.normal(), rng.normal()];
    for (let j = 0; j < D; j++) x[i * D + j] = z[0]! * mix[j]! + z[1]! * mix[D + j]! + z[2]! * mix[2 * D + j]! + 0.1 * rng.normal() + j;
  }
  return x;
}

const meta: ModelMeta = {
  id: 'test-0.0.1', name: 'test', version: '0.0.1', featureVersion: 'f1',
  featureNames: Array.from({ length: D }, (_, i) => `f${i}`), threshold: 1.25, refractoryMs: 600_000,
};

describe('ONNX export', () => {
  const x = syntheticData(2000, 7);
  const { net, lossHistory } = trainAutoencoder(x, 2000, D, { seed: 1, epochs: 4, maxSamples: 2000 });

  it('training lowers the reconstruction loss', () => {
    expect(lossHistory[lossHistory.length - 1]!).toBeLessThan(lossHistory[0]!);
  });

  it('is deterministic for a seed (same bytes twice)', () => {
    const again = trainAutoencoder(x, 2000, D, { seed: 1, epochs: 4, maxSamples: 2000 }).net;
    expect(Buffer.from(buildOnnx(again, meta)).equals(Buffer.from(buildOnnx(net, meta)))).toBe(true);
    const other = trainAutoencoder(x, 2000, D, { seed: 2, epochs: 4, maxSamples: 2000 }).net;
    expect(Buffer.from(buildOnnx(other, meta)).equals(Buffer.from(buildOnnx(net, meta)))).toBe(false);
  });

  it('round-trips metadata and weights through readOnnx', () => {
    const r = readOnnx(buildOnnx(net, meta));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.meta).toEqual(meta);
    expect(Array.from(r.net.layers[2]!.W)).toEqual(Array.from(net.layers[2]!.W));
    expect(readOnnx(new Uint8Array([1, 2, 3, 4, 5])).ok).toBe(false);
  });

  it('onnxruntime output equals the TypeScript reference within 1e-5 on a fixed batch', async () => {
    const session = await ort.InferenceSession.create(buildOnnx(net, meta));
    // Normal rows plus shifted (anomalous) rows so large scores are compared too.
    const n = 64;
    const batch = syntheticData(n, 99);
    for (let i = 48; i < n; i++) for (let j = 0; j < D; j++) batch[i * D + j] = batch[i * D + j]! + (j % 3) * 4;
    const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', batch, [n, D]) });
    const got = out[OUTPUT_NAME]!.data as Float32Array;
    const ref = new Evaluator(net).score(batch, n);
    expect(got.length).toBe(n);
    for (let i = 0; i < n; i++) {
      // 1e-5 absolute, relative for scores above 1 (float32 has ~7 significant digits).
      expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref[i]!)));
    }
    expect(Math.max(...Array.from(ref.subarray(48)))).toBeGreaterThan(Math.max(...Array.from(ref.subarray(0, 48))));
    await session.release();
  });
});
