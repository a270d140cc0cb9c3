/**
 * Model families (issue 15): the isolation forest, alone and with kt's rules, against the
 * committed kt model (the recipe's, kt-2.7.0 now; the README's figures are from kt-2.3.0) and the tail model alone, on the same seeds, rows, incidents, budget and
 * alert machinery as `safestar models evaluate`. Nothing committed is written.
 *
 *   nice node --import tsx models/eval/iforest-eval.ts --seeds dev:6,fresh:5 [--trees 100] [--psi 256] [--min-group-rows 16] [--out file.json]
 *
 * `--seeds` takes source[:count] items (reserved | dev | fresh), run in the order given; fresh
 * seeds are drawn at run time and printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KT_RECIPE, type KtCard } from '../kt.ts';
import { ktPaths } from '../kt-artifacts.ts';
import { readTailOnnx } from '../tail-onnx.ts';
import { evaluateKt, type KtEvaluation } from './evaluate-kt.ts';
import { familyExtras, trainFamilies } from './families.ts';
import { seedsOf, type SeedSource } from './seeds.ts';
import { ModelError, modelMessage } from '../errors.ts';

const SOURCES: readonly SeedSource[] = ['reserved', 'dev', 'fresh'];
const SHOWN = ['model', 'tail-only', 'iforest-kind', 'iforest-group', 'rules+iforest-kind', 'rules+iforest-group', 'rules-tuned', 'type-poisson-a0.1'];

const { values } = parseArgs({ options: { seeds: { type: 'string', default: 'dev:6' }, trees: { type: 'string', default: '100' }, psi: { type: 'string', default: '256' }, 'min-group-rows': { type: 'string', default: '16' }, out: { type: 'string' } } });
const plan = values.seeds.split(',').map((item) => {
  const [source, count] = item.split(':');
  if (!SOURCES.includes(source as SeedSource)) {
    process.stderr.write(`${modelMessage('SS_MODEL_EVALUATE_SEEDS', `--seeds items must be source[:count], source one of ${SOURCES.join(', ')}`)}\n`);
    process.exit(2);
  }
  return { source: source as SeedSource, count: Math.max(1, Number(count ?? 5) || 5) };
});
const log = (m: string): void => void process.stderr.write(`iforest-eval: ${m}\n`);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' / ');
const pct = (v: number | undefined): string => `${((v ?? 0) * 100).toFixed(1)}`.padStart(5);

const t0 = Date.now();
log(`load ${load()} (1 / 5 / 15 min)`);
const dir = join(import.meta.dirname, '..');
const p = ktPaths(dir, KT_RECIPE);
const tail = readTailOnnx(readFileSync(p.onnx));
if (!tail) throw new ModelError('SS_MODEL_CORRUPT', `${p.onnx} is not a tail model`);
const card = JSON.parse(readFileSync(p.card, 'utf8')) as KtCard;
const fam = trainFamilies({ ...KT_RECIPE }, { trees: Number(values.trees), psi: Number(values.psi), minGroupRows: Number(values['min-group-rows']) }, log);
log(`rules ${[...fam.rules.types, ...fam.rules.features].join(', ')}; kt retrained here: threshold ${fam.ktThreshold.threshold} (card ${card.threshold.value})`);
if (fam.ktThreshold.threshold !== card.threshold.value) log('WARNING: the rows here do not reproduce the committed threshold');
for (const d of fam.detectors) log(`${d.name}: validation events above the threshold by type: ${d.flaggedByType.slice(0, 6).map(([t, c]) => `${t} ${c}`).join(', ')}`);
log(`trained in ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${load()}`);

const results: { source: SeedSource; seconds: number; load: string; evaluation: KtEvaluation }[] = [];
for (const { source, count } of plan) {
  const t1 = Date.now();
  const seeds = seedsOf(source, count);
  log(`${source}: seeds ${seeds.join(', ')}`);
  const evaluation = evaluateKt(tail, card, { source, seeds, log, extra: familyExtras(fam) });
  const seconds = Math.round((Date.now() - t1) / 1000);
  results.push({ source, seconds, load: load(), evaluation });
  const out: string[] = [`\n## ${source} seeds ${seeds.join(', ')} (${seconds} s, load ${load()})`, ''];
  out.push(`${'detector'.padEnd(22)} recall (min–max)        FA/cd  behaviour critical`);
  for (const name of SHOWN) {
    const d = evaluation.detectors[name];
    if (!d) continue;
    out.push(`${name.padEnd(22)} ${pct(d.recall)} (${pct(d.recallMin)}–${pct(d.recallMax)})  ${d.faPerCompoundDay.toFixed(3)}  ${pct(d.behaviourRecall)}   ${pct(d.criticalRecall)}`);
  }
  const cols = SHOWN.filter((n) => evaluation.detectors[n]);
  out.push('', `per family: ${cols.join(' | ')}`);
  for (const [f, r] of Object.entries(evaluation.perFamily)) out.push(`${f.padEnd(22)} ${cols.map((c) => pct(r[c])).join(' ')}`);
  out.push('', `per type (incidents): ${cols.join(' | ')}`);
  for (const [t, v] of Object.entries(evaluation.perType)) out.push(`${`${t} (${v.incidents})`.padEnd(34)} ${cols.map((c) => pct(v.recall[c])).join(' ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${load()}`);
const summary = {
  thresholds: Object.fromEntries(fam.detectors.map((d) => [d.name, d.threshold])),
  flaggedByType: Object.fromEntries(fam.detectors.map((d) => [d.name, d.flaggedByType])),
  options: values,
  rules: [...fam.rules.types, ...fam.rules.features],
  trainRows: fam.trainRows,
  runs: results.map((r) => ({ source: r.source, seconds: r.seconds, load: r.load, seeds: r.evaluation.seeds, detectors: Object.fromEntries(SHOWN.filter((n) => r.evaluation.detectors[n]).map((n) => [n, r.evaluation.detectors[n]])), perFamily: r.evaluation.perFamily, perType: r.evaluation.perType })),
};
if (values.out) writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`${JSON.stringify({ runs: summary.runs.map((r) => ({ source: r.source, seeds: r.seeds, detectors: Object.fromEntries(Object.entries(r.detectors).map(([k, d]) => [k, { recall: d!.recall, faPerCompoundDay: d!.faPerCompoundDay, behaviourRecall: d!.behaviourRecall }])) })) })}\n`);
