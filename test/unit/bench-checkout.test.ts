import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCheckout, loadCheckout, modelFileOf } from '../../bench/lib/checkout.ts';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, FeatureExtractor } from '../../models/features.ts';
import { buildTailOnnx, readTailOnnx } from '../../models/tail-onnx.ts';
import { scoreTail } from '../../models/tail-model.ts';

const repo = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ss-checkout-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const EV = {
  deviceTime: Date.parse('2026-05-20T03:00:00+08:00'), device: 'c1-door-1', compound: 'c1', kind: 'access' as const,
  type: 'denied' as const, attributes: { card: 'k1' },
};

describe('a checkout loaded by path (bench/features-ab.ts)', () => {
  it('loads this checkout: its features, its model, and scores what the statically imported code scores', async () => {
    const d = await loadCheckout(repo);
    expect(d.featureVersion).toBe(FEATURE_VERSION);
    expect(d.featureCount).toBe(FEATURE_COUNT);
    expect(d.modelFile).toMatch(/models[/\\]kt-[\d.]+\.onnx$/);
    const row = d.newExtractor().push(EV, new Float32Array(d.featureCount));
    expect(row).not.toBeNull();
    const out = new Float32Array(1);
    d.score(row!, 1, out);
    const want = scoreTail(readTailOnnx(readFileSync(d.modelFile))!, new FeatureExtractor().push(EV)!, 1);
    expect(Number.isFinite(out[0])).toBe(true);
    expect(out[0]).toBe(want[0]);
  });

  it('refuses a model of other features (it would score the wrong columns silently)', async () => {
    const d = tmp();
    const tail = readTailOnnx(readFileSync(modelFileOf(repo)))!;
    const file = join(d, 'kt-old.onnx');
    writeFileSync(file, buildTailOnnx(tail, { id: 'kt-old', name: 'kt', version: 'old', featureVersion: 'f0', featureNames: FEATURE_NAMES, threshold: 0, refractoryMs: 0 }));
    await expect(loadCheckout(repo, file)).rejects.toThrow(/SS_BENCH_CHECKOUT_MODEL: .* is for features f0/);
    await expect(loadCheckout(repo, join(d, 'none.onnx'))).rejects.toThrow(/SS_BENCH_CHECKOUT_MODEL: .* does not exist/);
  });

  it('says what is missing from a folder that is not a usable checkout', () => {
    const d = tmp();
    expect(() => checkCheckout(d)).toThrow(/SS_BENCH_CHECKOUT: .*models\/features\.ts.*git worktree add/);
    mkdirSync(join(d, 'models'));
    for (const f of ['features.ts', 'tail-model.ts', 'tail-onnx.ts']) writeFileSync(join(d, 'models', f), '');
    expect(() => checkCheckout(d)).toThrow(/SS_BENCH_CHECKOUT_DEPS: .*node_modules/);
    mkdirSync(join(d, 'node_modules'));
    expect(() => checkCheckout(d)).not.toThrow();
    expect(() => modelFileOf(d)).toThrow(/SS_BENCH_CHECKOUT_MODEL: .*holds 0 kt-\*\.onnx files \(none\)/);
    writeFileSync(join(d, 'models', 'kt-2.3.0.onnx'), '');
    expect(modelFileOf(d)).toBe(join(d, 'models', 'kt-2.3.0.onnx'));
    writeFileSync(join(d, 'models', 'kt-2.4.0.onnx'), '');
    expect(() => modelFileOf(d)).toThrow(/holds 2 kt-\*\.onnx files \(kt-2\.3\.0\.onnx, kt-2\.4\.0\.onnx\)/);
  });
});
