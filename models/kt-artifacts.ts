import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BEHAVIOURAL_FAMILY_TARGET, BURGLARY_VARIANT_TARGET, evaluateKt, summaryLine, type KtEvaluation } from './eval/evaluate-kt.ts';
import { runOf, seedsOf, type SeedSource } from './eval/seeds.ts';
import { liveRun, type LiveRun } from './eval/live.ts';
import { VARIANTS } from './eval/variants/catalogue.ts';
import { ktId, trainKt, type KtCard, type KtRecipe, type KtTrained } from './kt.ts';
import { ktReportMarkdown } from './kt-report.ts';
import { readTailOnnx } from './tail-onnx.ts';
import { ModelError } from './errors.ts';

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
  if (!tail) throw new ModelError('SS_MODEL_CORRUPT', `${p.onnx} is not a tail model`);
  const card = JSON.parse(readFileSync(p.card, 'utf8')) as KtCard;
  const seeds = opts.seeds ?? seedsOf(opts.source, opts.count);
  const evaluation = evaluateKt(tail, card, { source: opts.source, seeds, ...(opts.log ? { log: opts.log } : {}) });
  const line = summaryLine(evaluation);
  if (opts.source === 'reserved') {
    writeFileSync(p.reportJson, json(evaluation));
    writeFileSync(p.reportMd, ktReportMarkdown(evaluation, card));
    card.evaluation = cardEvaluation(evaluation, card);
    writeFileSync(p.card, json(card));
  }
  return { evaluation, line };
}


/**
 * The card's headline of a reserved evaluation. `whereItFails` lists what misses its issue-15
 * target, compared as the evaluation's `targets` compare it: each burglary variant below 95 %
 * (the target is per variant), and each behavioural family below 60 % — "type" in the issue is
 * read as the family (models/eval/variants/catalogue.ts), so the family's pooled recall is what
 * is compared — with its variants' own figures. A variant below 60 % in a family that meets the
 * target is not a miss (the report lists every variant); critical types other than burglary
 * (blacklisted-plate) have no per-type target. Such variants are listed apart, in `weakVariants`,
 * so the card still names every blind spot an operator should know of.
 */
export function cardEvaluation(evaluation: KtEvaluation, card: Pick<KtCard, 'id'>): unknown {
  const m = evaluation.detectors['model']!;
  const pct = (v: number): string => `${(v * 100).toFixed(0)} %`;
  const whereItFails: string[] = [];
  const weakVariants: string[] = [];
  const behaviourFamilies = new Map<string, [string, number][]>();
  for (const [name, v] of Object.entries(evaluation.perType)) {
    const recall = v.recall['model']!;
    if (v.family === 'burglary') {
      if (recall < BURGLARY_VARIANT_TARGET) whereItFails.push(`${name}: ${pct(recall)} (target ${BURGLARY_VARIANT_TARGET * 100} % per burglary variant)`);
    } else if (v.kind === 'behaviour') {
      const list = behaviourFamilies.get(v.family) ?? [];
      list.push([name, recall]);
      behaviourFamilies.set(v.family, list);
    }
  }
  for (const [family, variants] of behaviourFamilies) {
    const recall = evaluation.perFamily[family]!['model']!;
    if (recall < BEHAVIOURAL_FAMILY_TARGET) {
      whereItFails.push(`family ${family}: ${pct(recall)} (target ${BEHAVIOURAL_FAMILY_TARGET * 100} % per behavioural family; its variants: ${variants.map(([n, r]) => `${n} ${pct(r)}`).join(', ')})`);
    } else {
      for (const [n, r] of variants) if (r < BEHAVIOURAL_FAMILY_TARGET) weakVariants.push(`${n}: ${pct(r)} (its family ${family} meets the target at ${pct(recall)})`);
    }
  }
  return {
    report: `${card.id}.report.md`,
    seeds: evaluation.seeds,
    recall: m.recall,
    recallSpreadAcrossSeeds: { min: m.recallMin, max: m.recallMax, sd: m.recallSd },
    faPerCompoundDay: m.faPerCompoundDay,
    targets: evaluation.targets,
    whereItFails,
    weakVariants,
  };
}

export interface LiveSummary {
  model: string;
  source: SeedSource;
  seeds: number[];
  /** Live path (codecs, privacy, group commits, learning period, onnxruntime) vs the offline evaluation of the same seeds. */
  live: { recall: number; faPerCompoundDay: number; detected: number; incidents: number; falseAlerts: number; compoundDays: number };
  offline: { recall: number; faPerCompoundDay: number };
  gapPoints: number;
  perSeed: { seed: number; recall: number; falseAlerts: number; events: number; deadLetters: number; batches: LiveRun['batches'] }[];
  perType: Record<string, { incidents: number; detected: number }>;
}

/** `safestar models evaluate --live`: the same seeds through the edge's path; writes `<id>.live.json` for the reserved seeds. */
export async function evaluateLiveAndWrite(recipe: KtRecipe, dir: string, evaluation: KtEvaluation, log?: (m: string) => void): Promise<{ summary: LiveSummary; line: string }> {
  const p = ktPaths(dir, recipe);
  const variants = evaluation.source === 'dev' ? VARIANTS.filter((v) => !v.novel) : VARIANTS;
  const perSeed: LiveSummary['perSeed'] = [];
  const perType: LiveSummary['perType'] = {};
  let det = 0;
  let inc = 0;
  let fa = 0;
  let cd = 0;
  for (const [i, seed] of evaluation.seeds.entries()) {
    const r = await liveRun(runOf(seed, i, 3), variants, p.onnx);
    det += r.evaluation.detected;
    inc += r.evaluation.incidents;
    fa += r.evaluation.falseAlerts;
    cd += evaluation.runs[i]!.compoundDays;
    for (const [k, s] of Object.entries(r.evaluation.byScenario)) {
      const a = (perType[k] ??= { incidents: 0, detected: 0 });
      a.incidents += s.incidents;
      a.detected += s.detected;
    }
    perSeed.push({ seed, recall: r4(r.evaluation.recall), falseAlerts: r.evaluation.falseAlerts, events: r.events, deadLetters: r.deadLetters, batches: r.batches });
    log?.(`live seed ${seed}: recall ${(r.evaluation.recall * 100).toFixed(1)} %, ${r.evaluation.falseAlerts} false alerts, ${r.events} events in ${r.batches.count} group commits (mean ${r.batches.mean}, p90 ${r.batches.p90})`);
  }
  const m = evaluation.detectors['model']!;
  const live = { recall: r4(det / Math.max(1, inc)), faPerCompoundDay: r4(fa / Math.max(1, cd)), detected: det, incidents: inc, falseAlerts: fa, compoundDays: cd };
  const summary: LiveSummary = {
    model: evaluation.model, source: evaluation.source, seeds: evaluation.seeds, live,
    offline: { recall: m.recall, faPerCompoundDay: m.faPerCompoundDay },
    gapPoints: r4((m.recall - live.recall) * 100),
    perSeed, perType,
  };
  if (evaluation.source === 'reserved') writeFileSync(join(dir, `${ktId(recipe)}.live.json`), json(summary));
  return { summary, line: JSON.stringify({ live: summary.live, offline: summary.offline, gapPoints: summary.gapPoints, seeds: summary.seeds }) };
}

const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;
