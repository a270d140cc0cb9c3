import { BurstDetector, RulesDetector } from './baselines.ts';
import { buildDataset, pointsOf, type Dataset } from './dataset.ts';
import { averagePrecision, evaluateAlerts, type AlertEvaluation, type Incident } from './metrics.ts';
import type { Autoencoder } from './network.ts';
import type { ModelCard } from './pipeline.ts';
import { scoreDataset } from './pipeline.ts';
import type { Recipe } from './recipe.ts';
import { cityFor, startMsOf, trafficEvents } from './sources.ts';
import { evaluationPlan } from './scenario-plan.ts';
import type { ScenarioPlan } from '../simulators/scenarios/types.ts';

const DAY = 86_400_000;

export interface DetectorRow extends Omit<AlertEvaluation, 'byScenario'> {
  detector: string;
  thresholdFrom: string;
  prAuc: number;
  /** Did it stay within the alert budget (≤ maxPerCompoundDay false alerts per compound-day)? */
  withinBudget: boolean;
  byScenario: AlertEvaluation['byScenario'];
}

export interface EvaluationReport {
  model: string;
  sha256: string;
  traffic: Recipe['evaluate'];
  scoredDays: number;
  compoundDays: number;
  events: number;
  anomalousEvents: number;
  incidents: Record<string, number>;
  alertBudgetPerCompoundDay: number;
  toleranceMs: number;
  rows: DetectorRow[];
  /** Model recall at the bounded alert rate minus each baseline's (percentage points). */
  modelRecallGainPp: Record<string, number>;
  notes: string[];
}

const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;

function rounded(e: AlertEvaluation): AlertEvaluation {
  return {
    ...e,
    threshold: r4(e.threshold),
    falseAlertsPerCompoundDay: r4(e.falseAlertsPerCompoundDay),
    recall: r4(e.recall),
    precision: r4(e.precision),
    f1: r4(e.f1),
    byScenario: Object.fromEntries(Object.entries(e.byScenario).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v, recall: r4(v.recall) }])),
  };
}

/** The recipe's evaluation incidents (after the warm-up day, so the windows are warm). */
export function planFor(recipe: Recipe): ScenarioPlan {
  const spec = recipe.evaluate;
  return evaluationPlan({
    city: cityFor(spec),
    seed: spec.scenarioSeed,
    fromMs: startMsOf(spec) + recipe.warmupDays * DAY,
    days: spec.days - recipe.warmupDays,
    perCompoundDay: spec.scenariosPerCompoundDay,
  });
}

/** Incidents of the plan that fall in the scored period (bad-traffic records are not anomalies). */
export function incidentsOf(plan: ScenarioPlan, from: number, until: number): Incident[] {
  return plan.truth
    .filter((r) => !r.scenario.startsWith('bad-') && r.end >= from && r.start < until)
    .map((r) => ({ id: r.id, scenario: r.scenario, compound: r.compound, devices: r.devices, start: r.start, end: r.end }));
}

/**
 * Rate the model and both baselines on held-out scenario traffic (another city, another seed).
 * Every detector's threshold comes from normal validation traffic under the same alert budget
 * (the model card has them); rules are also shown as deployed (fire on every rule hit).
 */
export function evaluate(net: Autoencoder, card: ModelCard, recipe: Recipe, plan: ScenarioPlan = planFor(recipe)): EvaluationReport {
  const spec = recipe.evaluate;
  const start = startMsOf(spec);
  const from = start + recipe.warmupDays * DAY;
  const until = start + spec.days * DAY;
  const ds: Dataset = buildDataset(trafficEvents(spec, plan), {
    keepFrom: from,
    keepUntil: until,
    detectors: [new RulesDetector(), new BurstDetector()],
  });
  const incidents = incidentsOf(plan, from, until);
  const incidentIds = new Set(incidents.map((i) => i.id));
  const labels = ds.truthId.map((id) => id !== undefined && incidentIds.has(id));
  const scoredDays = spec.days - recipe.warmupDays;
  const compoundDays = spec.compounds * scoredDays;
  const opts = { compoundDays, refractoryMs: recipe.alerts.refractoryMs };

  const candidates: { detector: string; scores: ArrayLike<number>; threshold: number; from: string }[] = [
    { detector: `model ${card.id}`, scores: scoreDataset(net, ds), threshold: card.threshold.value, from: 'model card (validation normal traffic)' },
    { detector: 'ewma-poisson', scores: ds.baselines['ewma-poisson']!, threshold: card.baselineThresholds['ewma-poisson']!.threshold, from: 'same budget on the same validation traffic' },
    { detector: 'rules', scores: ds.baselines['rules']!, threshold: card.baselineThresholds['rules']!.threshold, from: 'same budget on the same validation traffic' },
    { detector: 'rules (as deployed)', scores: ds.baselines['rules']!, threshold: 0.5, from: 'every rule hit alerts' },
  ];
  const rows: DetectorRow[] = candidates.map((c) => {
    const e = rounded(evaluateAlerts(pointsOf(ds, c.scores), incidents, c.threshold, opts));
    return {
      ...e,
      detector: c.detector,
      thresholdFrom: c.from,
      prAuc: r4(averagePrecision(c.scores, labels)),
      withinBudget: e.falseAlertsPerCompoundDay <= recipe.alerts.maxPerCompoundDay,
    };
  });
  const model = rows[0]!;
  const bounded = (r: DetectorRow): number => (r.withinBudget ? r.recall : 0);
  const byScenario: Record<string, number> = {};
  for (const i of incidents) byScenario[i.scenario] = (byScenario[i.scenario] ?? 0) + 1;
  return {
    model: card.id,
    sha256: card.sha256,
    traffic: spec,
    scoredDays,
    compoundDays,
    events: ds.n,
    anomalousEvents: labels.filter(Boolean).length,
    incidents: Object.fromEntries(Object.entries(byScenario).sort(([a], [b]) => a.localeCompare(b))),
    alertBudgetPerCompoundDay: recipe.alerts.maxPerCompoundDay,
    toleranceMs: 5 * 60_000,
    rows,
    modelRecallGainPp: {
      'ewma-poisson': r4((bounded(model) - bounded(rows[1]!)) * 100),
      rules: r4((bounded(model) - Math.max(bounded(rows[2]!), bounded(rows[3]!))) * 100),
    },
    notes: [
      'The model is trained on normal traffic only: every scenario type here is one it never saw, and its threshold was set on normal traffic only.',
      'Recall = share of ground-truth incidents with an event of their compound above the threshold within ±5 min of the incident; an alert is the first flagged event of a compound, flagged events within the refractory window join it.',
      'Precision = alerts within ±5 min of an incident of their compound / all alerts; F1 from that precision and the incident recall ("event-level F1, ±5 min").',
      'PR-AUC = average precision over all scored events (label: the event belongs to a scenario incident).',
      'Recall at the bounded alert rate counts 0 for a detector whose false alerts exceed the budget.',
    ],
  };
}

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

export function reportMarkdown(r: EvaluationReport): string {
  const lines = [
    `# Evaluation of ${r.model}`,
    '',
    `Held-out scenario traffic: city seed ${r.traffic.citySeed}, ${r.traffic.compounds} compounds, traffic seed ${r.traffic.trafficSeed}, ` +
      `scenario seed ${r.traffic.scenarioSeed}, ${r.scoredDays} scored days after warm-up (${r.compoundDays} compound-days), ` +
      `${r.events} events of which ${r.anomalousEvents} belong to ${Object.values(r.incidents).reduce((a, b) => a + b, 0)} incidents.`,
    `Alert budget: ≤ ${r.alertBudgetPerCompoundDay} false alert per compound per day. Model sha256 \`${r.sha256}\`.`,
    '',
    '| detector | threshold | PR-AUC | recall | false alerts / compound / day | within budget | precision | F1 (±5 min) |',
    '|---|---:|---:|---:|---:|:---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.detector} | ${x.threshold} | ${x.prAuc.toFixed(4)} | ${pct(x.recall)} | ${x.falseAlertsPerCompoundDay.toFixed(3)} | ${x.withinBudget ? 'yes' : 'no'} | ${pct(x.precision)} | ${x.f1.toFixed(3)} |`),
    '',
    `Model recall at the bounded alert rate vs baselines: ` +
      Object.entries(r.modelRecallGainPp).map(([k, v]) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} pp over ${k}`).join(', ') + '.',
    '',
    '## Recall per scenario type',
    '',
    `| scenario | incidents | ${r.rows.map((x) => x.detector).join(' | ')} |`,
    `|---|---:|${r.rows.map(() => '---:').join('|')}|`,
    ...Object.entries(r.incidents).map(([s, n]) => `| ${s} | ${n} | ${r.rows.map((x) => pct(x.byScenario[s]?.recall ?? 0)).join(' | ')} |`),
    '',
    '## Notes',
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}
