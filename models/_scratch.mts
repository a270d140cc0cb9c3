import { buildDataset } from './dataset.ts';
import { trafficEvents, startMsOf, cityFor } from './sources.ts';
import { RECIPE } from './recipe.ts';
import { FEATURE_NAMES, FEATURE_COUNT } from './features.ts';
import { trainAutoencoder } from './train.ts';
import { Evaluator } from './network.ts';
import { evaluationPlan } from './scenario-plan.ts';
import { writeFileSync } from 'node:fs';
const spec = { ...RECIPE.train, days: 4, compounds: 8 };
const s = startMsOf(spec);
const ds = buildDataset(trafficEvents(spec), { keepFrom: s + 86400000 });
const split = s + 3 * 86400000;
let ntr = 0; while (ds.t[ntr]! < split) ntr++;
const { net } = trainAutoencoder(ds.x.subarray(0, ntr * 16), ntr, 16, RECIPE.options);
const ev = new Evaluator(net);
const sc = ev.score(ds.x, ds.n);
const idx = [...Array(ds.n).keys()].filter(i => i >= ntr).sort((a,b) => sc[b]! - sc[a]!).slice(0, 25);
for (const i of idx) console.log(sc[i]!.toFixed(1), ds.type[i], ds.compound[i], Array.from(ds.x.subarray(i*16, i*16+16)).map(v => v.toFixed(2)).join(' '));
// test incidents
const e = { ...RECIPE.evaluate, compounds: 8, days: 3 };
const plan = evaluationPlan({ city: cityFor(e), seed: e.scenarioSeed, fromMs: startMsOf(e) + 86400000, days: 2, perCompoundDay: 1 });
const dt = buildDataset(trafficEvents(e, plan), { keepFrom: startMsOf(e) + 86400000 });
const st = ev.score(dt.x, dt.n);
const best = new Map<string, [number, string, string]>();
for (let i = 0; i < dt.n; i++) { const id = dt.truthId[i]; if (!id) continue; const b = best.get(id); if (!b || st[i]! > b[0]) best.set(id, [st[i]!, dt.type[i]!, Array.from(dt.x.subarray(i*16, i*16+16)).map(v => v.toFixed(2)).join(' ')]); }
for (const [id, b] of [...best].sort()) console.log(id, b[0].toFixed(1), b[1], b[2]);
console.log(FEATURE_NAMES.join(' '));
