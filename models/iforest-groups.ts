import { DEVICE_KINDS } from '../protocol/devices.ts';
import { EVENT_GROUPS, FEATURE_COUNT } from './features.ts';
import { anomalyScore, DEFAULT_FOREST_OPTIONS, trainIsolationForest, type ForestOptions, type IsolationForest } from './iforest.ts';
import { kindOfRow, SCORED_FEATURES } from './tail-model.ts';

/**
 * Isolation forests over the f7 feature rows, one per device kind ("kind") or one per (kind,
 * event type) group with the kind's forest for groups too thin to grow their own ("group").
 *
 * The trees split on the tail model's scored columns (SCORED_FEATURES): hour and weekday are
 * context (spread over their whole range in normal traffic, they only dilute the random splits; `hour_surprise` already
 * says whether the hour is odd for the device), and `event_group` is a category whose index
 * order means nothing to a numeric split. Per kind, the type's rarity still reaches the trees
 * through `type_surprise`.
 */
export type IForestGrouping = 'kind' | 'group';

export interface GroupedIForest {
  grouping: IForestGrouping;
  columns: number[];
  /** Forest per kind (DEVICE_KINDS order); null when the kind had no training rows. */
  kinds: (IsolationForest | null)[];
  /** Forest per event group ("group" only); null → the kind's forest. */
  groups: (IsolationForest | null)[];
  /** Kind index of every event group. */
  kindOfGroup: Int32Array;
}

export interface GroupedIForestOptions extends ForestOptions {
  grouping: IForestGrouping;
  /**
   * A group grows its own forest from this many normal rows (else it uses its kind's). 16, chosen
   * on the development seeds 1001–1006 (256 = ψ: 20 group forests, recall 30.0 %; 16: 30
   * forests, 32.5 %), before the fresh and reserved runs.
   */
  minGroupRows: number;
}

export const DEFAULT_GROUPED_OPTIONS: Readonly<GroupedIForestOptions> = Object.freeze({ ...DEFAULT_FOREST_OPTIONS, grouping: 'kind', minGroupRows: 16 });

export const KIND_OF_GROUP: Int32Array = Int32Array.from(EVENT_GROUPS, (g) => (DEVICE_KINDS as readonly string[]).indexOf(g.slice(0, g.indexOf('/'))));

/** Fit on normal rows `x` [n × FEATURE_COUNT] (the tail model's training rows). */
export function trainGroupedIForest(x: Float32Array, n: number, options: Partial<GroupedIForestOptions> = {}): GroupedIForest {
  const o = { ...DEFAULT_GROUPED_OPTIONS, ...options };
  const columns = [...SCORED_FEATURES];
  const byKind: number[][] = DEVICE_KINDS.map(() => []);
  const byGroup: number[][] = EVENT_GROUPS.map(() => []);
  for (let r = 0; r < n; r++) {
    const g = kindOfRow(x, r * FEATURE_COUNT);
    byGroup[g]!.push(r);
    byKind[KIND_OF_GROUP[g]!]!.push(r);
  }
  const forest = (rows: number[], salt: number): IsolationForest | null =>
    rows.length === 0 ? null : trainIsolationForest(x, FEATURE_COUNT, rows, columns, { trees: o.trees, psi: o.psi, seed: (o.seed + salt * 7919) >>> 0 });
  const kinds = byKind.map((rows, k) => forest(rows, k));
  const groups = byGroup.map((rows, g) => (o.grouping === 'group' && rows.length >= o.minGroupRows ? forest(rows, 1000 + g) : null));
  return { grouping: o.grouping, columns, kinds, groups, kindOfGroup: KIND_OF_GROUP };
}

/**
 * Anomaly score per row, in (0, 1]. A row of a kind that had no training rows scores 1: nothing
 * normal was ever seen from it (no such kind exists in the training cities; the guard is for
 * a catalogue that grows).
 */
export function scoreGroupedIForest(m: GroupedIForest, x: Float32Array, n: number, out = new Float32Array(n)): Float32Array {
  for (let r = 0; r < n; r++) {
    const base = r * FEATURE_COUNT;
    const g = kindOfRow(x, base);
    const f = m.groups[g] ?? m.kinds[m.kindOfGroup[g]!] ?? null;
    out[r] = f === null ? 1 : anomalyScore(f, x, base);
  }
  return out;
}
