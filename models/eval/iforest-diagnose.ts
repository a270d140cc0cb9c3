/**
 * Why the isolation forest misses (models/README.md, "Model families tried"): of the incidents
 * kt detects through its tail tables, which rest on ONE column above the threshold at their
 * highest-scoring event, and does a forest detect those? Development seeds 1001–1006 only.
 *
 *   nice node --import tsx models/eval/iforest-diagnose.ts     # ~8 min at load 10–12
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_COUNT, FEATURE_NAMES } from '../features.ts';
import { KT_RECIPE, baselineDetectors, type KtCard } from '../kt.ts';
import { readTailOnnx } from '../tail-onnx.ts';
import { ktPaths } from '../kt-artifacts.ts';
import { featureScores, scoreTail } from '../tail-model.ts';
import { scoreGroupedIForest } from '../iforest-groups.ts';
import { trainFamilies } from './families.ts';
import { buildRun } from './runs.ts';
import { runOf } from './seeds.ts';
import { VARIANTS } from './variants/catalogue.ts';

// The committed model of the recipe (not a file name typed in: it follows the recipe's version).
const paths = ktPaths(join(import.meta.dirname, '..'), KT_RECIPE);
const tail = readTailOnnx(readFileSync(paths.onnx))!;
const card = JSON.parse(readFileSync(paths.card, 'utf8')) as KtCard;
const th = card.threshold.value;
const fam = trainFamilies({ ...KT_RECIPE }, { minGroupRows: 16 }, (m) => console.error(m));
const thr = Object.fromEntries(fam.detectors.map((d) => [d.name, d.threshold.threshold]));
const stats = { detected: 0, rule: 0, single: 0, multi: 0, singleKind: 0, singleGroup: 0, multiKind: 0, multiGroup: 0 };
const byCol: Record<string, number> = {};
const tol = 5 * 60_000;
for (const [i, seed] of [1001, 1002, 1003, 1004, 1005, 1006].entries()) {
  const run = buildRun(runOf(seed, i, 3), VARIANTS.filter((v) => !v.novel), baselineDetectors);
  const ds = run.ds;
  const kt = scoreTail(tail, ds.x, ds.n);
  const fk = scoreGroupedIForest(fam.forests['kind']!, ds.x, ds.n);
  const fg = scoreGroupedIForest(fam.forests['group']!, ds.x, ds.n);
  for (const inc of run.incidents) {
    let best = -1;
    for (let r = 0; r < ds.n; r++) {
      if (!(ds.compound[r] === inc.compound || inc.devices.includes(ds.device[r]!))) continue;
      if (ds.t[r]! < inc.start - tol || ds.t[r]! > inc.end + tol || !(kt[r]! > th)) continue;
      if (best < 0 || kt[r]! > kt[best]!) best = r;
    }
    if (best < 0) continue;
    stats.detected++;
    if (kt[best]! > tail.cap) { stats.rule++; continue; }
    const fs = featureScores(tail, ds.x.subarray(best * FEATURE_COUNT, (best + 1) * FEATURE_COUNT));
    const above = [...fs].map((s, u) => [s, u] as const).filter(([s]) => s > th);
    // Detected by a forest: any event of the incident above its threshold (as evaluateAlerts counts).
    let k = false; let g = false;
    for (let r = 0; r < ds.n; r++) {
      if (!(ds.compound[r] === inc.compound || inc.devices.includes(ds.device[r]!))) continue;
      if (ds.t[r]! < inc.start - tol || ds.t[r]! > inc.end + tol) continue;
      if (fk[r]! > thr['iforest-kind']!) k = true;
      if (fg[r]! > thr['iforest-group']!) g = true;
    }
    if (above.length === 1) {
      stats.single++; if (k) stats.singleKind++; if (g) stats.singleGroup++;
      const name = FEATURE_NAMES[tail.used[above[0]![1]]!]!; byCol[name] = (byCol[name] ?? 0) + 1;
    } else { stats.multi++; if (k) stats.multiKind++; if (g) stats.multiGroup++; }
  }
  console.error(`seed ${seed} done`, JSON.stringify(stats));
}
console.log(JSON.stringify({ stats, byCol }));
