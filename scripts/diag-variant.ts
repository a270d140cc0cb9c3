/**
 * Issue 15 diagnosis: which incidents of some variants the committed model misses, and every
 * non-zero feature of a missed incident's own events. Development seeds only (1001–1006 by
 * default; never the reserved ones). Run:
 *   node --import tsx scripts/diag-variant.ts burglary-day-no-cut[,other-variant] [1001,1002,…]
 */
import { readFileSync } from 'node:fs';
import { readTailOnnx } from '../models/tail-onnx.ts';
import { baselineDetectors, KT_RECIPE, ktId, scoreRows, type KtCard } from '../models/kt.ts';
import { buildRun } from '../models/eval/runs.ts';
import { DEV_SEEDS, runOf } from '../models/eval/seeds.ts';
import { VARIANT_BY_NAME } from '../models/eval/variants/catalogue.ts';
import { FEATURE_NAMES } from '../models/features.ts';

const names = (process.argv[2] ?? 'burglary-day-no-cut').split(',');
const seeds = (process.argv[3] ?? '1001,1002,1003,1004,1005,1006').split(',').map(Number);
if (seeds.some((s) => !(s >= DEV_SEEDS.from && s <= DEV_SEEDS.to))) throw new Error(`development seeds only (${DEV_SEEDS.from}–${DEV_SEEDS.to})`);
const id = ktId(KT_RECIPE);
const tail = readTailOnnx(readFileSync(`models/${id}.onnx`))!;
const card = JSON.parse(readFileSync(`models/${id}.card.json`, 'utf8')) as KtCard;
const th = card.threshold.value;
const F = FEATURE_NAMES.length;
let det = 0;
let tot = 0;
seeds.forEach((seed, i) => {
  const spec = runOf(seed, i, 3);
  const run = buildRun(spec, names.map((n) => VARIANT_BY_NAME.get(n)!), baselineDetectors, 2);
  const s = scoreRows(tail, run.ds);
  for (const inc of run.incidents) {
    tot++;
    let best = -Infinity;
    let bi = -1;
    const rows: number[] = [];
    for (let r = 0; r < run.ds.n; r++) {
      if (run.ds.compound[r] !== inc.compound) continue;
      if (run.ds.t[r] < inc.start - 300_000 || run.ds.t[r] > inc.end + 300_000) continue;
      if (s[r]! > best) { best = s[r]!; bi = r; }
      if (run.ds.truthId[r] === inc.id) rows.push(r);
    }
    const hit = best > th;
    if (hit) det++;
    console.log(`${seed} ${inc.id} ${inc.compound} ${hit ? 'HIT ' : 'MISS'} best ${best.toFixed(2)} (${bi >= 0 ? run.ds.type[bi] : '-'})`);
    if (!hit) for (const r of rows) {
      const x = Array.from(run.ds.x.subarray(r * F, r * F + F));
      const nz = FEATURE_NAMES.map((n, k) => [n, x[k]!] as const).filter(([, v]) => v !== 0).map(([n, v]) => `${n}=${v.toFixed(2)}`).join(' ');
      console.log(`   ${run.ds.type[r]} ${run.ds.device[r]} score ${s[r]!.toFixed(2)} ${nz}`);
    }
  }
});
console.log(`detected ${det}/${tot}`);
