import type { EventType } from '../protocol/devices.ts';
import { EVENT_GROUPS, GROUP_FEATURE, FEATURE_COUNT } from './features.ts';
import type { Dataset } from './dataset.ts';
import { countAlerts, type ScoredPoint } from './threshold.ts';

/**
 * Known-critical rules: "alert on every event of this type". The candidates are what vendors and
 * GB 50396 call critical or major (life safety, blacklist, tamper, repeated denials, held doors);
 * which of them fit the alert budget is decided on validation traffic, not by hand: candidates
 * are taken fewest-validation-alerts first and kept while all kept rules together stay within
 * the budget. A type that never occurs in normal traffic (duress, cut wire, blacklist hit) costs
 * nothing and is always kept.
 */
export const RULE_CANDIDATES: readonly EventType[] = [
  'duress', 'wire-cut', 'blacklist-hit', 'door-forced', 'short-circuit', 'fence-alarm', 'intrusion-enter',
  'tamper', 'repeated-denied', 'door-held', 'video-loss',
];

export function groupsOfType(type: EventType): number[] {
  return EVENT_GROUPS.map((g, i) => (g.endsWith(`/${type}`) ? i : -1)).filter((i) => i >= 0);
}

export function rowGroup(ds: Dataset, i: number): number {
  return ds.x[i * FEATURE_COUNT + GROUP_FEATURE]!;
}

/** Points (sorted by t) with score 1 where the row's group is in `groups`. */
export function rulePoints(ds: Dataset, groups: ReadonlySet<number>): ScoredPoint[] {
  const pts: ScoredPoint[] = [];
  for (let i = 0; i < ds.n; i++) pts.push({ t: ds.t[i]!, compound: ds.compound[i]!, device: ds.device[i]!, score: groups.has(rowGroup(ds, i)) ? 1 : 0 });
  return pts.sort((a, b) => a.t - b.t);
}

export interface RuleSelection {
  /** Kept rule types, in the order they were admitted. */
  types: EventType[];
  groups: number[];
  /** Validation alerts per candidate alone, for the card. */
  alone: Record<string, number>;
  alerts: number;
}

/** Greedy selection under `budget` alerts on the validation rows. */
export function selectRules(val: Dataset, budget: number, refractoryMs: number, candidates: readonly EventType[] = RULE_CANDIDATES): RuleSelection {
  const alone: Record<string, number> = {};
  for (const t of candidates) alone[t] = countAlerts(rulePoints(val, new Set(groupsOfType(t))), 0.5, refractoryMs);
  const order = [...candidates].sort((a, b) => alone[a]! - alone[b]! || a.localeCompare(b));
  const kept: EventType[] = [];
  let groups = new Set<number>();
  let alerts = 0;
  for (const t of order) {
    const next = new Set([...groups, ...groupsOfType(t)]);
    const n = countAlerts(rulePoints(val, next), 0.5, refractoryMs);
    if (n > budget) continue;
    kept.push(t);
    groups = next;
    alerts = n;
  }
  return { types: kept, groups: [...groups].sort((a, b) => a - b), alone, alerts };
}
