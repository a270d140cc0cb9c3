import { createHash } from 'node:crypto';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, DEFAULT_FEATURE_OPTIONS } from './features.ts';
import { BurstDetector, RulesDetector } from './baselines.ts';
import { buildDataset, pointsOf, type Dataset } from './dataset.ts';
import { Evaluator, type Autoencoder } from './network.ts';
import { buildOnnx, type ModelMeta } from './onnx-export.ts';
import { modelId, type Recipe } from './recipe.ts';
import { startMsOf, trafficEvents } from './sources.ts';
import { chooseThreshold, type ThresholdChoice } from './threshold.ts';
import { trainAutoencoder } from './train.ts';

const DAY = 86_400_000;

export interface TrainedModel {
  net: Autoencoder;
  meta: ModelMeta;
  onnx: Uint8Array;
  sha256: string;
  card: ModelCard;
}

export interface ModelCard {
  id: string;
  name: string;
  version: string;
  file: string;
  sha256: string;
  format: string;
  architecture: string;
  features: { version: string; count: number; names: readonly string[]; definition: string; windowMs: number; memoryHalfLifeMs: number; tzOffsetMinutes: number };
  training: {
    data: string;
    traffic: Recipe['train'];
    warmupDays: number;
    trainDays: number;
    validationDays: number;
    rows: number;
    samplesUsed: number;
    seed: number;
    options: Recipe['options'];
    lossHistory: number[];
  };
  threshold: { value: number; how: string; validation: ThresholdChoice & { compoundDays: number } };
  baselineThresholds: Record<string, ThresholdChoice>;
  metrics: Record<string, unknown>;
}

/** Score every row of a dataset with the TypeScript reference (same numbers onnxruntime gives). */
export function scoreDataset(net: Autoencoder, ds: Dataset): Float32Array {
  const out = new Float32Array(ds.n);
  const ev = new Evaluator(net);
  const chunk = 4096;
  for (let s = 0; s < ds.n; s += chunk) {
    const n = Math.min(chunk, ds.n - s);
    out.set(ev.score(ds.x.subarray(s * FEATURE_COUNT, (s + n) * FEATURE_COUNT), n), s);
  }
  return out;
}

function rowsWhere(ds: Dataset, keep: (i: number) => boolean): Dataset {
  const idx: number[] = [];
  for (let i = 0; i < ds.n; i++) if (keep(i)) idx.push(i);
  const x = new Float32Array(idx.length * FEATURE_COUNT);
  idx.forEach((i, r) => x.set(ds.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), r * FEATURE_COUNT));
  const baselines: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(ds.baselines)) baselines[k] = Float64Array.from(idx, (i) => v[i]!);
  const compound = idx.map((i) => ds.compound[i]!);
  return {
    n: idx.length,
    x,
    t: Float64Array.from(idx, (i) => ds.t[i]!),
    compound,
    device: idx.map((i) => ds.device[i]!),
    truthId: idx.map((i) => ds.truthId[i]),
    type: idx.map((i) => ds.type[i]!),
    baselines,
    compounds: new Set(compound).size,
  };
}

/** Train on the recipe's normal traffic, pick thresholds on its validation days, export ONNX. */
export function trainModel(recipe: Recipe, log: (msg: string) => void = () => undefined): TrainedModel {
  const start = startMsOf(recipe.train);
  const trainFrom = start + recipe.warmupDays * DAY;
  const until = trainFrom + (recipe.trainDays + recipe.validationDays) * DAY;
  log(`generating ${recipe.train.days} days of normal traffic for ${recipe.train.compounds} compounds`);
  const all = buildDataset(trafficEvents(recipe.train), {
    keepFrom: trainFrom,
    keepUntil: until,
    detectors: [new RulesDetector(), new BurstDetector()],
  });
  // Alternate days (train, validate, train, …) so both sides see weekdays and a weekend day: a
  // feature that is constant in training (weekend = 0) would make every Saturday an anomaly.
  const isTrainDay = (i: number): boolean => Math.floor((all.t[i]! - trainFrom) / DAY) % 2 === 0;
  const trainSet = rowsWhere(all, isTrainDay);
  const valSet = rowsWhere(all, (i) => !isTrainDay(i));
  log(`features: ${trainSet.n} training rows, ${valSet.n} validation rows`);

  const { net, lossHistory, samplesUsed } = trainAutoencoder(trainSet.x, trainSet.n, FEATURE_COUNT, recipe.options);
  log(`trained on ${samplesUsed} samples; loss ${lossHistory[0]?.toFixed(4)} → ${lossHistory.at(-1)?.toFixed(4)}`);

  const compoundDays = valSet.compounds * recipe.validationDays;
  const budget = { compoundDays, ...recipe.alerts };
  const valScores = scoreDataset(net, valSet);
  const choice = chooseThreshold(pointsOf(valSet, valScores), { ...budget, refractoryMs: recipe.alerts.refractoryMs });
  const baselineThresholds: Record<string, ThresholdChoice> = {};
  for (const [name, scores] of Object.entries(valSet.baselines)) {
    baselineThresholds[name] = chooseThreshold(pointsOf(valSet, scores), { ...budget, refractoryMs: recipe.alerts.refractoryMs });
  }
  log(`threshold ${choice.threshold} → ${choice.alerts} alerts in ${compoundDays} compound-days (budget ${choice.budget})`);

  const id = modelId(recipe);
  const meta: ModelMeta = {
    id,
    name: recipe.name,
    version: recipe.version,
    featureVersion: FEATURE_VERSION,
    featureNames: FEATURE_NAMES,
    threshold: choice.threshold,
    refractoryMs: recipe.alerts.refractoryMs,
  };
  const onnx = buildOnnx(net, meta);
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  const card: ModelCard = {
    id,
    name: recipe.name,
    version: recipe.version,
    file: `${id}.onnx`,
    sha256,
    format: 'ONNX IR 8, opset 13; input "features" float32 [N×16], output "score" float32 [N]',
    architecture: `dense autoencoder ${[FEATURE_COUNT, ...recipe.options.hidden, FEATURE_COUNT].join('→')}, tanh hidden layers, linear output, standardization folded into the graph; score = mean squared reconstruction error of the standardized features`,
    features: {
      version: FEATURE_VERSION,
      count: FEATURE_COUNT,
      names: FEATURE_NAMES,
      definition: 'models/features.ts (shared by training and the edge scorer)',
      windowMs: DEFAULT_FEATURE_OPTIONS.windowMs,
      memoryHalfLifeMs: DEFAULT_FEATURE_OPTIONS.memoryHalfLifeMs,
      tzOffsetMinutes: DEFAULT_FEATURE_OPTIONS.tzOffsetMinutes,
    },
    training: {
      data: 'normal traffic only (no scenarios, heartbeats off) from simulators/traffic.ts generateTraffic; canonical events read from each message\'s intent; after the warm-up day, days alternate training / validation',
      traffic: recipe.train,
      warmupDays: recipe.warmupDays,
      trainDays: recipe.trainDays,
      validationDays: recipe.validationDays,
      rows: trainSet.n,
      samplesUsed,
      seed: recipe.options.seed,
      options: recipe.options,
      lossHistory: lossHistory.map((v) => Number(v.toPrecision(6))),
    },
    threshold: {
      value: choice.threshold,
      how:
        `lowest score threshold whose alerts on the ${recipe.validationDays} held-out normal validation days (alternating with the training days, same compounds, one weekend day included) ` +
        `stay within ${recipe.alerts.maxPerCompoundDay} × ${recipe.alerts.safety} alerts per compound per day; an alert is the first event of a compound scoring above the threshold, ` +
        `later flagged events of that compound within ${recipe.alerts.refractoryMs / 60_000} min join it. The ${recipe.alerts.safety} safety factor leaves room for day-to-day variation so the bound of ${recipe.alerts.maxPerCompoundDay} holds on unseen days.`,
      validation: { ...choice, compoundDays },
    },
    baselineThresholds,
    metrics: {
      finalTrainingLoss: Number(lossHistory.at(-1)?.toPrecision(6)),
      validationAlertsPerCompoundDay: choice.alertsPerCompoundDay,
    },
  };
  return { net, meta, onnx, sha256, card };
}
