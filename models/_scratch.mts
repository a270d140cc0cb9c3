import { readFileSync } from 'node:fs';
import { buildDataset } from './dataset.ts';
import { trafficEvents, startMsOf } from './sources.ts';
import { RECIPE } from './recipe.ts';
import { readOnnx } from './onnx-export.ts';
import { Evaluator } from './network.ts';
import { planFor } from './evaluate.ts';
import { FEATURE_NAMES } from './features.ts';
const r = readOnnx(readFileSync('models/ae16-1.0.0.onnx')); if (!r.ok) throw 0;
const plan = planFor(RECIPE);
const e = RECIPE.evaluate;
const dt = buildDataset(trafficEvents(e, plan), { keepFrom: startMsOf(e) + 86400000 });
const st = new Evaluator(r.net).score(dt.x, dt.n);
const f = (i: number) => Array.from(dt.x.subarray(i*16, i*16+16)).map(v => v.toFixed(1)).join(' ');
for (let i = 0; i < dt.n; i++) { const id = dt.truthId[i]; if (!id || !/burglary|tamper|loiter/.test(id)) continue; console.log(id.slice(5), st[i]!.toFixed(1), dt.type[i], f(i)); }
console.log(FEATURE_NAMES.join(' '));
console.log('thr', r.meta.threshold);
