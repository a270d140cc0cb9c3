/**
 * Issue 15 diagnosis (f8): how often the feature `cam_entry_spans_forced` is 1 in normal traffic
 * of the training and validation cities (KT_RECIPE, after each warm-up day), and how many
 * validation alerts it would raise as a rule (10-min refractory per compound, as selectRules
 * counts them). Never run on evaluation seeds. Run: node --import tsx scripts/entry-span-rates.ts
 */
import { buildDataset } from '../models/dataset.ts';
import { ENTRY_SPANS_FORCED_FEATURE, FEATURE_COUNT } from '../models/features.ts';
import { KT_RECIPE } from '../models/kt.ts';
import { rulePoints } from '../models/rules.ts';
import { startMsOf, trafficEvents } from '../models/sources.ts';
import { countAlerts } from '../models/threshold.ts';

const DAY = 86_400_000;
const sum = { train: { hits: 0, alerts: 0, cd: 0 }, validation: { hits: 0, alerts: 0, cd: 0 } };
for (const spec of [...KT_RECIPE.train, ...(KT_RECIPE.validation ?? [])]) {
  const from = startMsOf(spec) + KT_RECIPE.warmupDays * DAY;
  const ds = buildDataset(trafficEvents(spec), { keepFrom: from, keepUntil: startMsOf(spec) + spec.days * DAY });
  let hits = 0;
  for (let i = 0; i < ds.n; i++) if (ds.x[i * FEATURE_COUNT + ENTRY_SPANS_FORCED_FEATURE]! > 0.5) hits++;
  const alerts = countAlerts(rulePoints(ds, new Set(), [ENTRY_SPANS_FORCED_FEATURE]), 0.5, KT_RECIPE.alerts.refractoryMs);
  const part = KT_RECIPE.validation?.includes(spec) ? sum.validation : sum.train;
  const cd = spec.compounds * (spec.days - KT_RECIPE.warmupDays);
  part.hits += hits;
  part.alerts += alerts;
  part.cd += cd;
  console.log(`city ${spec.citySeed}: ${hits} rows = 1, ${alerts} alerts in ${cd} compound-days`);
}
for (const [k, v] of Object.entries(sum)) console.log(`${k}: ${v.hits} rows, ${v.alerts} alerts, ${(v.alerts / v.cd).toFixed(3)} per compound-day (${v.cd} compound-days)`);
