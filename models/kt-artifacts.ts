import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateKt, summaryLine, type KtEvaluation } from './eval/evaluate-kt.ts';
import { seedsOf, type SeedSource } from './eval/seeds.ts';
import { ktId, trainKt, type KtCard, type KtRecipe, type KtTrained } from './kt.ts';
import { ktReportMarkdown } from './kt-report.ts';
import { readTailOnnx } from './tail-onnx.ts';

export function ktPaths(dir: string, recipe: Pick<KtRecipe, 'name' | 'version'>) {
  const id = ktId(recipe);
  return { onnx: join(dir, `${id}.onnx`), card: join(dir, `${id}.card.json`), reportJson: join(dir, `${id}.report.json`), reportMd: join(dir, `${id}.report.md`) };
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** `safestar models train`: deterministic; writes the .onnx and its card. */
export function trainKtAndWrite(recipe: KtRecipe, dir: string, log?: (m: string) => void): KtTrained {
  const m = trainKt(recipe, log);
  mkdirSync(dir, { recursive: true });
  const p = ktPaths(dir, recipe);
  writeFileSync(p.onnx, m.onnx);
  writeFileSync(p.card, json(m.card));
  return m;
}

/**
 * `safestar models evaluate`: read the model file and card, evaluate on the seeds, and — for the
 * reserved seeds, the committed evaluation — write the report and the headline into the card.
 */
export function evaluateKtAndWrite(recipe: KtRecipe, dir: string, opts: { source: SeedSource; count: number; seeds?: number[]; log?: (m: string) => void }): { evaluation: KtEvaluation; line: string } {
  const p = ktPaths(dir, recipe);
  const tail = readTailOnnx(readFileSync(p.onnx));
  if (!tail) throw new Error(`SS_MODEL_CORRUPT: ${p.onnx} is not a tail model; run \`safestar models train\``);
  const card = JSON.parse(readFileSync(p.card, 'utf8')) as KtCard;
  const seeds = opts.seeds ?? seedsOf(opts.source, opts.count);
  const evaluation = evaluateKt(tail, card, { source: opts.source, seeds, ...(opts.log ? { log: opts.log } : {}) });
  const line = summaryLine(evaluation);
  if (opts.source === 'reserved') {
    writeFileSync(p.reportJson, json(evaluation));
    writeFileSync(p.reportMd, ktReportMarkdown(evaluation, card));
    const m = evaluation.detectors['model']!;
    card.evaluation = {
      report: `${card.id}.report.md`,
      seeds: evaluation.seeds,
      recall: m.recall,
      recallSpreadAcrossSeeds: { min: m.recallMin, max: m.recallMax, sd: m.recallSd },
      faPerCompoundDay: m.faPerCompoundDay,
      targets: evaluation.targets,
      whereItFails: Object.entries(evaluation.perType).filter(([, v]) => v.recall['model']! < 0.6).map(([k, v]) => `${k}: ${(v.recall['model']! * 100).toFixed(0)} %`),
    };
    writeFileSync(p.card, json(card));
  }
  return { evaluation, line };
}
