import type { Detector } from '../baselines.ts';
import { buildDataset, type Dataset } from '../dataset.ts';
import type { Incident } from '../metrics.ts';
import { cityFor, startMsOf, trafficEvents } from '../sources.ts';
import type { RunSpec } from './seeds.ts';
import type { Variant } from './variants/catalogue.ts';
import { variantPlan } from './variants/plan.ts';

const DAY = 86_400_000;

/** One evaluation run: the feature rows of a seed's traffic with its incidents injected. */
export interface EvalRun {
  spec: RunSpec;
  ds: Dataset;
  incidents: Incident[];
  compoundDays: number;
}

/** Warm-up day first (windows and histories fill as on an edge that has been running), then scored days. */
export function buildRun(spec: RunSpec, variants: readonly Variant[], detectors: () => Detector[], perCompoundDay = 2): EvalRun {
  const traffic = { citySeed: spec.citySeed, compounds: spec.compounds, trafficSeed: spec.trafficSeed, start: spec.start, days: spec.days };
  const start = startMsOf(traffic);
  const from = start + DAY;
  const until = start + spec.days * DAY;
  const plan = variantPlan({ city: cityFor(traffic), seed: spec.scenarioSeed, fromMs: from, days: spec.days - 1, perCompoundDay, variants });
  const ds = buildDataset(trafficEvents(traffic, plan), { keepFrom: from, keepUntil: until, detectors: detectors() });
  const incidents = plan.truth
    .filter((r) => r.end >= from && r.start < until)
    .map((r) => ({ id: r.id, scenario: r.scenario, compound: r.compound, devices: r.devices, start: r.start, end: r.end }));
  return { spec, ds, incidents, compoundDays: spec.compounds * (spec.days - 1) };
}
