import type { Policy, SubScoreKey } from '../policy/policy-schema.ts';
import type { CaseRecord, ConfirmedAlarm, Driver, SubScore } from './types.ts';
import { DAY_MS } from '../policy/time.ts';

export interface Load {
  /** Decayed, normalised load R. */
  r: number;
  byCategory: Map<string, number>;
  drivers: Driver[];
}

interface Item {
  kind: 'case' | 'alarm';
  id: string;
  category: string;
  occurredAt: number;
  weight: number;
}

/**
 * R = Σ weight × 0.5^(age/halfLife) × perHouseholds / max(households, floor) over the window.
 * Items arrive sorted (occurredAt, id) so the float sum is the same in every replay.
 */
export function loadOf(policy: Policy, items: readonly Item[], households: number, at: number): Load {
  const { days, halfLifeDays } = policy.window;
  const norm = policy.normalisation.perHouseholds / Math.max(households, policy.normalisation.householdsFloor);
  let r = 0;
  const byCategory = new Map<string, number>();
  const drivers: Driver[] = [];
  for (const it of items) {
    const age = at - it.occurredAt;
    if (age < 0 || age > days * DAY_MS || it.weight <= 0) continue;
    const decay = Math.pow(0.5, age / (halfLifeDays * DAY_MS));
    const contribution = it.weight * decay * norm;
    r += contribution;
    byCategory.set(it.category, (byCategory.get(it.category) ?? 0) + contribution);
    drivers.push({ ...it, decay, contribution });
  }
  return { r, byCategory, drivers };
}

export function caseItems(policy: Policy, cases: readonly CaseRecord[], subScore: 'crime' | 'other'): Item[] {
  const out: Item[] = [];
  for (const c of cases) {
    const def = policy.categories[c.category];
    if (def?.subScore === subScore) out.push({ kind: 'case', id: c.id, category: c.category, occurredAt: c.occurredAt, weight: def.weight });
  }
  return out;
}

export function alarmItems(policy: Policy, alarms: readonly ConfirmedAlarm[], compound: string, at: number): Item[] {
  return alarms
    .filter((a) => a.compound === compound && a.confirmedAt <= at && a.occurredAt <= at)
    .sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((a) => ({ kind: 'alarm' as const, id: a.id, category: a.type, occurredAt: a.occurredAt, weight: policy.iot.weights[a.type] ?? 0 }));
}

export function expScore(r: number, tau: number): number {
  return 100 * Math.exp(-r / tau);
}

export function linearScore(x: number, zeroAt: number, fullAt: number): number {
  return Math.min(100, Math.max(0, (100 * (x - zeroAt)) / (fullAt - zeroAt)));
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function topDrivers(drivers: Driver[], max: number): Driver[] {
  return [...drivers]
    .sort((a, b) => b.contribution - a.contribution || b.occurredAt - a.occurredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, max);
}

/** Assemble a sub-score; `loss` and `effectiveWeight` are filled in once the weights are known. */
export function subScore(policy: Policy, key: SubScoreKey, score: number | null, input: number | null, load?: Load): SubScore {
  const byCategory: Record<string, number> = {};
  if (load && score !== null && load.r > 0) {
    // Split the points lost in proportion to each category's share of R.
    const lost = 100 - score;
    for (const [cat, r] of [...load.byCategory].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) byCategory[cat] = (lost * r) / load.r;
  }
  return {
    key,
    score: score === null ? null : round2(score),
    weight: policy.subScores[key].weight,
    effectiveWeight: 0,
    loss: 0,
    input,
    byCategory,
    drivers: load ? topDrivers(load.drivers, policy.explain.maxDrivers) : [],
  };
}
