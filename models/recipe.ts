import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from './train.ts';
import type { TrafficSpec } from './sources.ts';

/**
 * Everything that determines the committed model, in one frozen place: `safestar models train`
 * with this recipe reproduces models/<name>-<version>.onnx byte for byte.
 */
export interface Recipe {
  name: string;
  version: string;
  /** Normal traffic only: day 0 warms the windows, then train days, then validation days. */
  train: TrafficSpec;
  warmupDays: number;
  trainDays: number;
  validationDays: number;
  options: TrainOptions;
  /** Alert budget the threshold must meet on the validation days. */
  alerts: { maxPerCompoundDay: number; safety: number; refractoryMs: number };
  /** Held-out evaluation traffic: another city, another seed, with scenarios injected. */
  evaluate: TrafficSpec & { scenarioSeed: number; scenariosPerCompoundDay: number };
}

export const RECIPE: Readonly<Recipe> = Object.freeze({
  name: 'ae16',
  version: '1.0.0',
  // 2026-09-07 is a Monday: the 7 days cover a weekend (training Tue–Thu, validation Fri–Sun).
  train: { citySeed: 11, compounds: 8, trafficSeed: 101, start: '2026-09-07T00:00:00+08:00', days: 7 },
  warmupDays: 1,
  trainDays: 3,
  validationDays: 3,
  options: { ...DEFAULT_TRAIN_OPTIONS },
  alerts: { maxPerCompoundDay: 1, safety: 0.5, refractoryMs: 10 * 60_000 },
  evaluate: {
    citySeed: 22, compounds: 10, trafficSeed: 202, start: '2026-10-07T00:00:00+08:00', days: 5,
    scenarioSeed: 303, scenariosPerCompoundDay: 1,
  },
});

export function modelId(r: Pick<Recipe, 'name' | 'version'>): string {
  return `${r.name}-${r.version}`;
}
