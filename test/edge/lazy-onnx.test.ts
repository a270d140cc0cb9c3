import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL } from '../../edge/scoring/load.ts';
import { LazySession, onnxruntimeLoaded } from '../../edge/scoring/lazy-session.ts';
import { createOnnxScorer, type OnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import { event, writeModel } from '../models/model-fixture.ts';

// Order matters in this file: vitest gives each test file its own module graph, so
// `onnxruntimeLoaded()` starts false here, and the first test must run before anything loads it.
const dir = mkdtempSync(join(tmpdir(), 'ss-lazy-onnx-'));
const scorers: OnnxScorer[] = [];
afterAll(async () => {
  for (const s of scorers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function stream(n: number): ReturnType<typeof event>[] {
  return Array.from({ length: n }, (_, i) => event(i, { device: `c0001-acc-0${i % 5}` }));
}

describe('onnxruntime is loaded only when a batch needs it (edge RSS, issue 14)', () => {
  it('the committed tail detector scores small batches without ever loading onnxruntime', async () => {
    const s = await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false });
    scorers.push(s);
    const evs = stream(40);
    await s.scoreBatch(evs);
    expect(evs.every((e) => typeof e.score?.value === 'number')).toBe(true);
    expect(s.status()).toMatchObject({ state: 'ok', scored: 40 });
    expect(onnxruntimeLoaded()).toBe(false);
  });

  it('a batch past the reference bound loads it then, with the same scores as the reference', async () => {
    const ref = await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false });
    const ort = await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false, referenceBelowRows: 0 });
    scorers.push(ref, ort);
    const a = stream(40);
    const b = stream(40);
    await ref.scoreBatch(a);
    expect(onnxruntimeLoaded()).toBe(false);
    await ort.scoreBatch(b);
    expect(onnxruntimeLoaded()).toBe(true);
    expect(b.map((e) => e.score?.value)).toEqual(a.map((e) => e.score?.value));
    expect(ort.status().unscored).toBe(0);
  });

  it('a released session refuses later batches instead of opening one nothing would release', async () => {
    const m = new LazySession(readFileSync(DEFAULT_MODEL));
    await m.get();
    await m.release();
    await expect(m.get()).rejects.toThrow(/released/);
  });

  it('a model only onnxruntime can run (the autoencoder) is vetted by onnxruntime at load', async () => {
    const good = await createOnnxScorer({ modelPath: writeModel(dir, 'ae.onnx', { id: 'ae16-lazy' }), watchIntervalMs: false });
    scorers.push(good);
    expect(good.status()).toMatchObject({ state: 'ok', model: 'ae16-lazy' });
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'not onnx');
    const s = await createOnnxScorer({ modelPath: bad, watchIntervalMs: false });
    scorers.push(s);
    expect(s.status()).toMatchObject({ state: 'degraded', code: 'SS_SCORER_MODEL_LOAD' });
  });
});
