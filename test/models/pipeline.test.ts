import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { artifactPaths, evaluateAndWrite, trainAndWrite } from '../../models/artifacts.ts';
import { buildDataset } from '../../models/dataset.ts';
import { FEATURE_COUNT } from '../../models/features.ts';
import { Evaluator } from '../../models/network.ts';
import { INPUT_NAME, OUTPUT_NAME, readOnnx } from '../../models/onnx-export.ts';
import type { EvaluationReport } from '../../models/evaluate.ts';
import type { ModelCard } from '../../models/pipeline.ts';
import { RECIPE, modelId, type Recipe } from '../../models/recipe.ts';
import { startMsOf, trafficEvents } from '../../models/sources.ts';

/** The real recipe on a small budget: same code path as `safestar models train && evaluate`. */
const SMALL: Recipe = {
  ...RECIPE,
  version: '0.0.0-test',
  train: { ...RECIPE.train, compounds: 2, days: 3 },
  trainDays: 1,
  validationDays: 1,
  options: { ...RECIPE.options, epochs: 2, maxSamples: 3_000 },
  evaluate: { ...RECIPE.evaluate, compounds: 3, days: 2, scenariosPerCompoundDay: 2 },
};

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ss-models-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('models train && evaluate (small budget)', () => {
  const a = tmp();
  const b = tmp();
  trainAndWrite(SMALL, a);
  trainAndWrite(SMALL, b);
  const pa = artifactPaths(a, SMALL);
  const pb = artifactPaths(b, SMALL);

  it('reproduces the model file and card byte for byte', () => {
    expect(readFileSync(pa.onnx).equals(readFileSync(pb.onnx))).toBe(true);
    expect(readFileSync(pa.card, 'utf8')).toBe(readFileSync(pb.card, 'utf8'));
    const card = JSON.parse(readFileSync(pa.card, 'utf8')) as ModelCard;
    expect(card.sha256).toBe(createHash('sha256').update(readFileSync(pa.onnx)).digest('hex'));
    expect(card.file).toBe(`${modelId(SMALL)}.onnx`);
    expect(card.training.seed).toBe(SMALL.options.seed);
    expect(card.threshold.how).toMatch(/alerts per compound per day/);
    const parsed = readOnnx(readFileSync(pa.onnx));
    expect(parsed.ok && parsed.meta.threshold).toBe(card.threshold.value);
  });

  it('onnxruntime matches the TypeScript reference on real feature rows within 1e-5', async () => {
    const parsed = readOnnx(readFileSync(pa.onnx));
    if (!parsed.ok) throw new Error(parsed.reason);
    const spec = SMALL.evaluate;
    const ds = buildDataset(trafficEvents({ ...spec, days: 1 }), { keepFrom: startMsOf(spec) + 6 * 3_600_000 });
    const n = Math.min(256, ds.n);
    expect(n).toBeGreaterThan(50);
    const x = ds.x.slice(0, n * FEATURE_COUNT);
    const session = await ort.InferenceSession.create(readFileSync(pa.onnx));
    const got = (await session.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [n, FEATURE_COUNT]) }))[OUTPUT_NAME]!.data as Float32Array;
    const ref = new Evaluator(parsed.net).score(x, n);
    for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref[i]!)));
    await session.release();
  });

  it('evaluates model and baselines on held-out scenario traffic and writes the report next to the card', () => {
    const r1 = evaluateAndWrite(SMALL, a);
    const r2 = evaluateAndWrite(SMALL, b);
    expect(readFileSync(pa.reportJson, 'utf8')).toBe(readFileSync(pb.reportJson, 'utf8'));
    expect(readFileSync(pa.reportMd, 'utf8')).toBe(readFileSync(pb.reportMd, 'utf8'));
    expect(r1).toEqual(r2);
    const report = JSON.parse(readFileSync(pa.reportJson, 'utf8')) as EvaluationReport;
    expect(report.rows.map((r) => r.detector)).toEqual([`model ${modelId(SMALL)}`, 'ewma-poisson', 'rules', 'rules (as deployed)']);
    expect(Object.values(report.incidents).reduce((s, v) => s + v, 0)).toBe(SMALL.evaluate.compounds * 1 * 2);
    for (const row of report.rows) {
      for (const v of [row.prAuc, row.recall, row.precision, row.f1]) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
    }
    expect(report.anomalousEvents).toBeGreaterThan(0);
    expect(readFileSync(pa.reportMd, 'utf8')).toMatch(/\| detector \| threshold \| PR-AUC \| recall \|/);
    const card = JSON.parse(readFileSync(pa.card, 'utf8')) as ModelCard;
    expect(card.metrics['evaluation']).toMatchObject({ prAuc: report.rows[0]!.prAuc });
  });
});

describe('the committed model', () => {
  const p = artifactPaths(join(import.meta.dirname, '../../models'), RECIPE);
  it('has a card whose sha256, threshold and feature version match the .onnx file', () => {
    const bytes = readFileSync(p.onnx);
    const card = JSON.parse(readFileSync(p.card, 'utf8')) as ModelCard;
    expect(card.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const parsed = readOnnx(bytes);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.meta.threshold).toBe(card.threshold.value);
    expect(parsed.meta.featureVersion).toBe(card.features.version);
    const report = JSON.parse(readFileSync(p.reportJson, 'utf8')) as EvaluationReport;
    expect(report.sha256).toBe(card.sha256);
    // The acceptance bar: the model beats both baselines on recall at the bounded alert rate.
    expect(report.rows[0]!.withinBudget).toBe(true);
    expect(report.modelRecallGainPp['ewma-poisson']).toBeGreaterThan(0);
    expect(report.modelRecallGainPp['rules']).toBeGreaterThan(0);
  });
});
