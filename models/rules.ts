import type { EventType } from '../protocol/devices.ts';
import { EVENT_GROUPS, GROUP_FEATURE, FEATURE_COUNT, FEATURE_NAMES } from './features.ts';
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

/**
 * Known-critical sequences (kt-2.3.0; kt-2.4.0 adds the entry that spans a forced door): binary features whose 1 means "this pattern happened",
 * admitted like the types (fewest validation alerts first, within the same budget). A kept one
 * scores cap + 1 where it is 1, whatever the event's group.
 */
export const RULE_FEATURE_CANDIDATES: readonly string[] = ['dev_blind_after_tamper', 'cam_entry_spans_forced'];

export function featureColumn(name: string): number {
  const j = (FEATURE_NAMES as readonly string[]).indexOf(name);
  if (j < 0) throw new Error(`unknown rule feature ${name}`);
  return j;
}

export function groupsOfType(type: EventType): number[] {
  return EVENT_GROUPS.map((g, i) => (g.endsWith(`/${type}`) ? i : -1)).filter((i) => i >= 0);
}

export function rowGroup(ds: Dataset, i: number): number {
  return ds.x[i * FEATURE_COUNT + GROUP_FEATURE]!;
}

/** Points (sorted by t) with score 1 where the row's group is in `groups` or a rule feature (column) is 1. */
export function rulePoints(ds: Dataset, groups: ReadonlySet<number>, features: readonly number[] = []): ScoredPoint[] {
  return points(ds, groups, features, true);
}

/** Only the rule hits of `rulePoints` (sorted by t): the alerts at threshold 0.5 are the same, and selection need not sort every row. */
function hitPoints(ds: Dataset, groups: ReadonlySet<number>, features: readonly number[]): ScoredPoint[] {
  return points(ds, groups, features, false);
}

/** Row i is a rule hit: its (kind, type) group is a rule type, or one of the rule features is 1. */
const isHit = (ds: Dataset, i: number, groups: ReadonlySet<number>, features: readonly number[]): boolean =>
  groups.has(rowGroup(ds, i)) || features.some((j) => ds.x[i * FEATURE_COUNT + j]! > 0.5);

/** Rows as scored points sorted by t: every row (score 1 on a hit, else 0), or the hits only. */
function points(ds: Dataset, groups: ReadonlySet<number>, features: readonly number[], everyRow: boolean): ScoredPoint[] {
  const pts: ScoredPoint[] = [];
  for (let i = 0; i < ds.n; i++) {
    const hit = isHit(ds, i, groups, features);
    if (hit || everyRow) pts.push({ t: ds.t[i]!, compound: ds.compound[i]!, device: ds.device[i]!, score: hit ? 1 : 0 });
  }
  return pts.sort((a, b) => a.t - b.t);
}

export interface RuleSelection {
  /** Kept rule types, in the order they were admitted. */
  types: EventType[];
  groups: number[];
  /** Kept rule features (names) and their columns. */
  features: string[];
  featureColumns: number[];
  /** Validation alerts per candidate alone, for the card. */
  alone: Record<string, number>;
  alerts: number;
}

/** Greedy selection under `budget` alerts on the validation rows. */
export function selectRules(
  val: Dataset, budget: number, refractoryMs: number,
  candidates: readonly EventType[] = RULE_CANDIDATES, featureCandidates: readonly string[] = RULE_FEATURE_CANDIDATES,
): RuleSelection {
  const alone: Record<string, number> = {};
  for (const t of candidates) alone[t] = countAlerts(hitPoints(val, new Set(groupsOfType(t)), []), 0.5, refractoryMs);
  for (const f of featureCandidates) alone[f] = countAlerts(hitPoints(val, new Set(), [featureColumn(f)]), 0.5, refractoryMs);
  const all: { name: string; feature: boolean }[] = [...candidates.map((name) => ({ name, feature: false })), ...featureCandidates.map((name) => ({ name, feature: true }))];
  const order = all.sort((a, b) => alone[a.name]! - alone[b.name]! || a.name.localeCompare(b.name));
  const kept: EventType[] = [];
  const keptFeatures: string[] = [];
  let groups = new Set<number>();
  let cols: number[] = [];
  let alerts = 0;
  for (const c of order) {
    const next = c.feature ? groups : new Set([...groups, ...groupsOfType(c.name as EventType)]);
    const nextCols = c.feature ? [...cols, featureColumn(c.name)] : cols;
    const n = countAlerts(hitPoints(val, next, nextCols), 0.5, refractoryMs);
    if (n > budget) continue;
    if (c.feature) keptFeatures.push(c.name);
    else kept.push(c.name as EventType);
    groups = next;
    cols = nextCols;
    alerts = n;
  }
  return { types: kept, groups: [...groups].sort((a, b) => a - b), features: keptFeatures, featureColumns: cols, alone, alerts };
}
