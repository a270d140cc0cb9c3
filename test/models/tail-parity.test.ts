import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { EVENT_GROUPS, FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, FeatureExtractor, GROUP_FEATURE } from '../../models/features.ts';
import { INPUT_NAME, OUTPUT_NAME, type ModelMeta } from '../../models/onnx-export.ts';
import { EXPLAIN_NAME, buildTailOnnx, readTailMeta, readTailOnnx } from '../../models/tail-onnx.ts';
import { explainRow, scoreTail, trainTailModel } from '../../models/tail-model.ts';
import { withRules } from '../../models/kt.ts';
import { groupsOfType } from '../../models/rules.ts';
import { event } from './model-fixture.ts';

const meta: ModelMeta = { id: 'kt-test-1', name: 'kt-test', version: '1', featureVersion: FEATURE_VERSION, featureNames: FEATURE_NAMES, threshold: 2, refractoryMs: 600_000 };

/** Real feature rows: routine door traffic with a few denials, held doors and a cut wire mixed in. */
function rows(n: number, oddEvery = 0): Float32Array {
  const fx = new FeatureExtractor();
  const x = new Float32Array(n * FEATURE_COUNT);
  for (let i = 0; i < n; i++) {
    const odd = oddEvery > 0 && i % oddEvery === 0;
    const ev = i % 13 === 0 ? event(i, { type: 'denied', severity: 'minor' })
      : i % 29 === 0 ? event(i, { type: 'door-held', severity: 'minor', attributes: { durationS: odd ? 2400 : 60 + (i % 200) } })
        : odd ? event(i, { type: 'door-forced', severity: 'critical' }) : event(i);
    x.set(fx.push(ev)!, i * FEATURE_COUNT);
  }
  return x;
}

describe('tail model: TypeScript training, ONNX export, onnxruntime parity', () => {
  const train = rows(3000);
  const model = withRules(trainTailModel(train, 3000, 10), groupsOfType('wire-cut'));

  it('is deterministic: same rows, same bytes', () => {
    const again = withRules(trainTailModel(rows(3000), 3000, 10), groupsOfType('wire-cut'));
    expect(Buffer.from(buildTailOnnx(again, meta)).equals(Buffer.from(buildTailOnnx(model, meta)))).toBe(true);
  });

  it('round-trips tables and metadata', () => {
    const bytes = buildTailOnnx(model, meta);
    const back = readTailOnnx(bytes)!;
    expect(back.used).toEqual(model.used);
    expect(Array.from(back.surprise)).toEqual(Array.from(model.surprise));
    expect(readTailMeta(bytes)).toEqual(meta);
    expect(readTailMeta(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('onnxruntime gives the TypeScript scores and explanations exactly (normal and odd rows)', async () => {
    const test = rows(800, 37);
    const n = 800;
    const session = await ort.InferenceSession.create(buildTailOnnx(model, meta));
    try {
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', test, [n, FEATURE_COUNT]) });
      const onnxScore = out[OUTPUT_NAME]!.data as Float32Array;
      const onnxExplain = out[EXPLAIN_NAME]!.data as BigInt64Array;
      const top = new Int32Array(n);
      const ts = scoreTail(model, test, n, new Float32Array(n), top);
      expect(Array.from(onnxScore)).toEqual(Array.from(ts));
      expect(Array.from(onnxExplain, Number)).toEqual(Array.from(top));
      // Forced doors (never in the training rows) stand out from the routine passages.
      const kind = (i: number): string => (i % 13 === 0 ? 'denied' : i % 29 === 0 ? 'held' : i % 37 === 0 ? 'forced' : 'routine');
      const forced = Array.from(ts).filter((_, i) => kind(i) === 'forced');
      const routine = Array.from(ts).filter((_, i) => kind(i) === 'routine').sort((a, b) => a - b);
      expect(forced.length).toBeGreaterThan(10);
      expect(Math.min(...forced)).toBeGreaterThan(routine[Math.floor(routine.length * 0.9)]!);
    } finally {
      await session.release();
    }
  });

  it('a rule feature scores cap + 1 where it is 1 and what the fitted tables gave where it is 0, in TypeScript and onnxruntime alike', async () => {
    const j = FEATURE_NAMES.indexOf('dev_blind_after_tamper');
    const k2 = FEATURE_NAMES.indexOf('cam_entry_spans_forced'); // f8, a second rule feature
    const ruled = withRules(model, groupsOfType('wire-cut'), [j, k2]);
    const n = 800;
    const test = rows(n, 37);
    for (let i = 0; i < n; i += 5) test[i * FEATURE_COUNT + j] = 1;
    for (let i = 2; i < n; i += 7) test[i * FEATURE_COUNT + k2] = 1;
    const ts = scoreTail(ruled, test, n);
    const plain = scoreTail(model, test.map((v, k) => (k % FEATURE_COUNT === j || k % FEATURE_COUNT === k2 ? 0 : v)), n);
    for (let i = 0; i < n; i++) expect(ts[i]).toBe(i % 5 === 0 || i % 7 === 2 ? ruled.cap + 1 : plain[i]);
    const session = await ort.InferenceSession.create(buildTailOnnx(ruled, meta));
    try {
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', test, [n, FEATURE_COUNT]) });
      expect(Array.from(out[OUTPUT_NAME]!.data as Float32Array)).toEqual(Array.from(ts));
    } finally {
      await session.release();
    }
  });

  it('a rule type scores above the cap whatever its features; the explanation names the deciding feature', () => {
    const fx = new FeatureExtractor();
    const row = fx.push(event(1, { type: 'wire-cut', kind: 'fence', device: 'c0001-fen-01', severity: 'critical' }))!;
    expect(EVENT_GROUPS[row[GROUP_FEATURE]!]).toBe('fence/wire-cut');
    expect(scoreTail(model, row, 1)[0]).toBe(model.cap + 1);
    const held = rows(400, 37).subarray(0, FEATURE_COUNT * 400);
    const i = 37 * 4 + 29 * 0; // a door-forced row
    const e = explainRow(model, held.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    expect(e[0]!.surprise).toBeGreaterThanOrEqual(e[1]!.surprise);
    expect(FEATURE_NAMES).toContain(e[0]!.feature);
  });
});
