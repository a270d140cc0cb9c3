import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { evaluateKt, summaryLine } from '../../models/eval/evaluate-kt.ts';
import { VARIANT_BY_NAME } from '../../models/eval/variants/catalogue.ts';
import { FEATURE_COUNT } from '../../models/features.ts';
import { ktPaths, trainKtAndWrite } from '../../models/kt-artifacts.ts';
import { KT_RECIPE, type KtCard, type KtRecipe } from '../../models/kt.ts';
import { INPUT_NAME, OUTPUT_NAME } from '../../models/onnx-export.ts';
import { readTailOnnx } from '../../models/tail-onnx.ts';
import { scoreTail } from '../../models/tail-model.ts';

/** The real recipe on a small budget: the code path of `safestar models train && evaluate`. */
const SMALL: KtRecipe = {
  ...KT_RECIPE,
  version: '0.0.0-test',
  train: [{ ...KT_RECIPE.train[0]!, compounds: 3, days: 3 }],
  // Two held-out validation cities, small: the same code path as the real recipe's (the safety is
  // measured leave one validation city out, which needs two).
  validation: [{ ...KT_RECIPE.validation![0]!, compounds: 3, days: 3 }, { ...KT_RECIPE.validation![1]!, compounds: 3, days: 3 }],
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
  const m = trainKtAndWrite(SMALL, a);

  it('training is deterministic: two runs write the same bytes', () => {
    trainKtAndWrite(SMALL, b);
    const pa = ktPaths(a, SMALL);
    const pb = ktPaths(b, SMALL);
    expect(readFileSync(pa.onnx).equals(readFileSync(pb.onnx))).toBe(true);
    expect(readFileSync(pa.card, 'utf8')).toBe(readFileSync(pb.card, 'utf8'));
    const card = JSON.parse(readFileSync(pa.card, 'utf8')) as KtCard;
    expect(card.sha256).toBe(createHash('sha256').update(readFileSync(pa.onnx)).digest('hex'));
    // Types that never occur in normal traffic cost no budget, so the rules keep them.
    expect(card.rules.types).toEqual(expect.arrayContaining(['blacklist-hit', 'duress', 'wire-cut']));
    // So do the sequences (covered-then-blind, kt-2.3.0; an entry that spans a forced door, kt-2.4.0),
    // rule features admitted the same way while they fit the budget.
    expect([...(card.rules.features ?? [])].sort()).toEqual(['cam_entry_spans_forced', 'dev_blind_after_tamper']);
    // Every baseline got a threshold from the same validation rows.
    expect(Object.keys(card.baselineThresholds).sort()).toEqual(['ewma-poisson', 'rules-tuned', 'severity', 'type-poisson-a0.02', 'type-poisson-a0.1']);
    expect(card.threshold.validation.budget).toBe(Math.floor(card.training.validationCompoundDays * 0.5));
  });

  it('a measured safety (leave one validation city out) is recorded, and every baseline gets its own by the same rule', () => {
    const measured: KtRecipe = { ...SMALL, alerts: { ...SMALL.alerts, safety: 'measured' } };
    trainKtAndWrite(measured, b);
    const card = JSON.parse(readFileSync(ktPaths(b, measured).card, 'utf8')) as KtCard;
    expect(Object.keys(card.baselineSafety ?? {}).sort()).toEqual(Object.keys(card.baselineThresholds).sort());
    const safety = card.threshold.safety!;
    expect(safety.units).toEqual(['city 17', 'city 18']);
    expect(safety.steps.every((st) => st.heldOut.length === 2)).toBe(true);
    // The chosen safety is the last step within the margin (or the floor), and the threshold's budget follows it.
    const within = safety.steps.filter((st) => st.worst <= 0.8).map((st) => st.safety);
    expect(safety.safety).toBe(within.length > 0 ? within[within.length - 1] : 0.5);
    expect(card.threshold.validation.budget).toBe(Math.floor(card.training.validationCompoundDays * safety.safety));
    for (const [name, t] of Object.entries(card.baselineThresholds)) expect(t.safety).toBe(card.baselineSafety![name]!.safety);
  });

  it('the written file scores in onnxruntime exactly as the TypeScript reference', async () => {
    const bytes = readFileSync(ktPaths(a, SMALL).onnx);
    const tail = readTailOnnx(bytes)!;
    const n = 64;
    const x = new Float32Array(n * FEATURE_COUNT);
    for (let i = 0; i < x.length; i++) x[i] = (i % FEATURE_COUNT === 21 ? i % 49 : ((i * 7919) % 1000) / 200);
    const s = await ort.InferenceSession.create(bytes);
    try {
      const out = await s.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [n, FEATURE_COUNT]) });
      expect(Array.from(out[OUTPUT_NAME]!.data as Float32Array)).toEqual(Array.from(scoreTail(tail, x, n)));
    } finally {
      await s.release();
    }
  });

  it('evaluation covers model and every baseline per type and ends in one JSON line', () => {
    const variants = ['burglary-night', 'blacklisted-plate', 'door-held-open', 'credential-scan'].map((v) => VARIANT_BY_NAME.get(v)!);
    const e = evaluateKt(m.model, m.card, { source: 'dev', seeds: [1500], days: 2, compounds: 3, perCompoundDay: 2, variants });
    expect(e.runs).toHaveLength(1);
    expect(e.runs[0]!.incidents).toBe(6);
    const line = JSON.parse(summaryLine(e)) as { model: { recall: number; faPerCompoundDay: number }; baselines: Record<string, { recall: number }>; perType: Record<string, Record<string, number>>; seeds: number[] };
    expect(Object.keys(line).sort()).toEqual(['baselines', 'model', 'perType', 'seeds']);
    expect(line.seeds).toEqual([1500]);
    expect(Object.keys(line.perType).sort()).toEqual(variants.map((v) => v.name).sort());
    // A wire cut and a blacklisted plate are rule types: rules-tuned can fire, so it finds them.
    expect(line.perType['blacklisted-plate']!['rules-tuned']).toBe(1);
    expect(line.perType['burglary-night']!['rules-tuned']).toBe(1);
    expect(line.perType['blacklisted-plate']!['model']).toBe(1);
    expect(line.model.recall).toBeGreaterThan(0);
    expect(Number.isFinite(line.model.faPerCompoundDay)).toBe(true);
  });
});
