import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOnnxScorer, type OnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import { MicroBatcher } from '../../edge/scoring/micro-batcher.ts';
import { event, writeModel } from './model-fixture.ts';

let dir: string;
const scorers: OnnxScorer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-scorer-'));
});
afterEach(async () => {
  for (const s of scorers.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});
async function scorer(path: string, watchIntervalMs: number | false = false): Promise<OnnxScorer> {
  const s = await createOnnxScorer({ modelPath: path, watchIntervalMs });
  scorers.push(s);
  return s;
}
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OnnxScorer', () => {
  it('scores events with value, threshold and model id; leaves heartbeats alone', async () => {
    const s = await scorer(writeModel(dir, 'm.onnx', { id: 'ae16-a', threshold: -1 }));
    const evs = [event(1), event(2), event(3, { type: 'heartbeat' })];
    await s.scoreBatch(evs);
    expect(evs[0]!.score).toMatchObject({ model: 'ae16-a', threshold: -1, anomalous: true });
    expect(evs[0]!.score!.value).toBeGreaterThanOrEqual(0);
    expect(evs[2]!.score).toBeUndefined();
    expect(s.status()).toMatchObject({ state: 'ok', model: 'ae16-a', scored: 2, anomalous: 2 });
  });

  it('never flags a device inside its learning period, then flags it (an edge restart is not an alarm storm)', async () => {
    const path = writeModel(dir, 'warm.onnx', { id: 'ae16-w', threshold: -1 });
    const s = await createOnnxScorer({ modelPath: path, watchIntervalMs: false, warmupMs: 60_000 });
    scorers.push(s);
    const device = 'c0001-acc-07';
    // event(i) is i × 20 s after T0: 0, 20, 40 s are inside the minute; 60 and 80 s are past it.
    const evs = [0, 1, 2, 3, 4].map((i) => event(i, { device }));
    await s.scoreBatch(evs);
    expect(evs.map((e) => e.score?.anomalous)).toEqual([false, false, false, true, true]);
    expect(evs.every((e) => typeof e.score?.value === 'number')).toBe(true);
    expect(s.status()).toMatchObject({ scored: 5, anomalous: 2, warmingUp: 3 });
  });

  it('flags nothing under a threshold above every score', async () => {
    const s = await scorer(writeModel(dir, 'm.onnx', { threshold: 1e9 }));
    const evs = Array.from({ length: 50 }, (_, i) => event(i));
    await s.scoreBatch(evs);
    expect(evs.every((e) => e.score?.anomalous === false)).toBe(true);
  });

  it('missing model → degraded with a coded reason; events pass unscored', async () => {
    const s = await scorer(join(dir, 'nope.onnx'));
    const st = s.status();
    expect(st.state).toBe('degraded');
    expect(st.code).toBe('SS_SCORER_MODEL_MISSING');
    expect(st.reason).toMatch(/^SS_SCORER_MODEL_MISSING: .*nope\.onnx/);
    const evs = [event(1)];
    await s.scoreBatch(evs);
    expect(evs[0]!.score).toBeUndefined();
    expect(s.status().unscored).toBe(1); // counted, not skipped silently
  });

  it('a corrupt file or a foreign feature version → degraded, never a throw', async () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'this is not onnx');
    expect((await scorer(bad)).status()).toMatchObject({ state: 'degraded', code: 'SS_SCORER_MODEL_LOAD' });
    const foreign = writeModel(dir, 'f.onnx', { featureVersion: 'f0' });
    expect((await scorer(foreign)).status()).toMatchObject({ state: 'degraded', code: 'SS_SCORER_FEATURE_VERSION' });
  });

  it('hot-swaps a replaced model file without restart, and keeps the old model if the new one is broken', async () => {
    const path = writeModel(dir, 'live.onnx', { id: 'ae16-v1' });
    const s = await scorer(path, 30);
    expect(s.status().model).toBe('ae16-v1');
    writeModel(dir, 'live.onnx', { id: 'ae16-v2', threshold: -1 });
    await until(() => s.status().model === 'ae16-v2');
    const evs = [event(5)];
    await s.scoreBatch(evs);
    expect(evs[0]!.score).toMatchObject({ model: 'ae16-v2', anomalous: true });

    writeFileSync(path, 'garbage');
    await s.reload();
    expect(s.status()).toMatchObject({ state: 'ok', model: 'ae16-v2', code: 'SS_SCORER_MODEL_LOAD' });
    expect(s.status().reason).toMatch(/still scoring with ae16-v2/);
    // Recovery: a good file clears the problem.
    writeModel(dir, 'live.onnx', { id: 'ae16-v3' });
    await s.reload();
    expect(s.status()).toMatchObject({ state: 'ok', model: 'ae16-v3' });
    expect(s.status().code).toBeUndefined();
  });

  it('reports off after close', async () => {
    const s = await createOnnxScorer({ modelPath: writeModel(dir, 'm.onnx'), watchIntervalMs: 20 });
    await s.close();
    expect(s.status().state).toBe('off');
  });
});

describe('MicroBatcher', () => {
  it('gathers rows into one batch within the wait bound', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher(() => async (_rows, n) => {
      sizes.push(n);
      return Float32Array.from({ length: n }, (_, i) => i);
    }, 2, { maxWaitMs: 5, maxBatch: 100 });
    const got = await Promise.all(Array.from({ length: 10 }, () => b.submit(new Float32Array(2))));
    expect(sizes).toEqual([10]);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a hung run times out unscored, holds its slot, and later rows go unscored instead of waiting', async () => {
    let release: (() => void) | undefined;
    const b = new MicroBatcher(() => () => new Promise<Float32Array>((r) => { release = () => r(new Float32Array(1)); }), 1, {
      maxWaitMs: 1, timeoutMs: 50, maxInflight: 1,
    });
    expect(await b.submit(new Float32Array(1))).toBe('timeout');
    expect(await b.submit(new Float32Array(1))).toBe('overload');
    expect(b.counters).toMatchObject({ timeout: 1, overload: 1 });
    release?.();
  });

  it('a failing run resolves its rows as errors and the next batch still runs', async () => {
    let calls = 0;
    const b = new MicroBatcher(() => async (_r, n) => {
      if (calls++ === 0) throw new Error('boom');
      return new Float32Array(n).fill(7);
    }, 1, { maxWaitMs: 1 });
    expect(await b.submit(new Float32Array(1))).toBe('error');
    expect(await b.submit(new Float32Array(1))).toBe(7);
    expect(b.counters.lastError).toBe('boom');
  });

  it('refuses rows past the queue bound', async () => {
    const b = new MicroBatcher(() => async (_r, n) => new Float32Array(n), 1, { maxQueueRows: 2, maxWaitMs: 20, maxBatch: 100 });
    const all = await Promise.all([1, 2, 3].map(() => b.submit(new Float32Array(1))));
    expect(all.filter((v) => v === 'overload')).toHaveLength(1);
  });
});
