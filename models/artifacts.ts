import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, reportMarkdown, type EvaluationReport } from './evaluate.ts';
import { readOnnx } from './onnx-export.ts';
import { trainModel, type ModelCard, type TrainedModel } from './pipeline.ts';
import { modelId, type Recipe } from './recipe.ts';

/** File names of one model's artifacts, all next to each other in the models folder. */
export function artifactPaths(dir: string, recipe: Pick<Recipe, 'name' | 'version'>) {
  const id = modelId(recipe);
  return {
    onnx: join(dir, `${id}.onnx`),
    card: join(dir, `${id}.card.json`),
    reportJson: join(dir, `${id}.report.json`),
    reportMd: join(dir, `${id}.report.md`),
  };
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** `safestar models train`: train, export, write the .onnx and its card. Deterministic. */
export function trainAndWrite(recipe: Recipe, dir: string, log?: (m: string) => void): TrainedModel {
  const m = trainModel(recipe, log);
  mkdirSync(dir, { recursive: true });
  const p = artifactPaths(dir, recipe);
  writeFileSync(p.onnx, m.onnx);
  writeFileSync(p.card, json(m.card));
  return m;
}

/**
 * `safestar models evaluate`: read the model file and card, evaluate on the held-out scenario
 * traffic, write the report (JSON + markdown) and the headline numbers into the card.
 */
export function evaluateAndWrite(recipe: Recipe, dir: string): EvaluationReport {
  const p = artifactPaths(dir, recipe);
  const bytes = readFileSync(p.onnx);
  const parsed = readOnnx(bytes);
  if (!parsed.ok) throw new Error(`${parsed.code}: ${p.onnx}: ${parsed.reason}`);
  const card = JSON.parse(readFileSync(p.card, 'utf8')) as ModelCard;
  const report = evaluate(parsed.net, card, recipe);
  writeFileSync(p.reportJson, json(report));
  writeFileSync(p.reportMd, reportMarkdown(report));
  const model = report.rows[0]!;
  card.metrics = {
    ...card.metrics,
    evaluation: {
      report: `${modelId(recipe)}.report.md`,
      prAuc: model.prAuc,
      recallAtBudget: model.recall,
      falseAlertsPerCompoundDay: model.falseAlertsPerCompoundDay,
      f1: model.f1,
      recallGainPp: report.modelRecallGainPp,
    },
  };
  writeFileSync(p.card, json(card));
  return report;
}
