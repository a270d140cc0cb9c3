import { describe, expect, it } from 'vitest';
import { EVENT_GROUPS, FEATURE_COUNT, GROUP_FEATURE } from '../../models/features.ts';
import { anomalyScore, averagePathLength, pathLength, trainIsolationForest, type IsolationTree } from '../../models/iforest.ts';
import { KIND_OF_GROUP, scoreGroupedIForest, trainGroupedIForest } from '../../models/iforest-groups.ts';
import { mulberry32 } from '../../models/random.ts';
import { withRuleScores } from '../../models/eval/families.ts';
import type { Dataset } from '../../models/dataset.ts';

const GAMMA = 0.5772156649015329;

/** n rows of a 2-D standard normal cloud, row-major. */
function cloud(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from({ length: 2 * n }, () => rng.normal());
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('isolation forest (Liu, Ting & Zhou 2008)', () => {
  it('c(n) is the paper\'s average unsuccessful-search path length', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // c(256) = 2(ln 255 + γ) − 2·255/256 = 10.24477…, by hand.
    expect(averagePathLength(256)).toBeCloseTo(10.24477, 4);
    expect(averagePathLength(4)).toBeCloseTo(2 * (Math.log(3) + GAMMA) - 1.5, 12);
  });

  it('path length of a known tree: edges to the leaf + c(leaf size)', () => {
    // root: x0 < 5 → leaf of 3 | x1 < 2 → leaf of 1 | leaf of 10
    const tree: IsolationTree = {
      column: Int32Array.from([0, -1, 1, -1, -1]),
      split: Float64Array.from([5, 0, 2, 0, 0]),
      left: Int32Array.from([1, 0, 3, 0, 0]),
      right: Int32Array.from([2, 0, 4, 0, 0]),
      size: Int32Array.from([0, 3, 0, 1, 10]),
    };
    expect(pathLength(tree, [1, 0], 0)).toBeCloseTo(1 + 2 * (Math.log(2) + GAMMA) - 4 / 3, 12); // 2.2083
    expect(pathLength(tree, [9, 0], 0)).toBe(2);
    expect(pathLength(tree, [0, 0, 9, 5], 2)).toBeCloseTo(2 + 2 * (Math.log(9) + GAMMA) - 1.8, 12); // 5.7489
  });

  it('rows that cannot be split form one leaf: h = c(ψ), score exactly 0.5', () => {
    const x = new Float64Array(2 * 4).fill(3);
    const f = trainIsolationForest(x, 2, range(4), [0, 1], { trees: 5, psi: 256, seed: 1 });
    expect(f.psi).toBe(4);
    expect(pathLength(f.trees[0]!, x, 0)).toBeCloseTo(averagePathLength(4), 12);
    expect(anomalyScore(f, x, 0)).toBeCloseTo(0.5, 12);
  });

  it('is deterministic: same seed → the same trees; another seed → other trees', () => {
    const x = cloud(2000, 7);
    const a = trainIsolationForest(x, 2, range(2000), [0, 1], { trees: 20, psi: 256, seed: 42 });
    const b = trainIsolationForest(x, 2, range(2000), [0, 1], { trees: 20, psi: 256, seed: 42 });
    const c = trainIsolationForest(x, 2, range(2000), [0, 1], { trees: 20, psi: 256, seed: 43 });
    expect(b).toEqual(a);
    expect(c.trees[0]!.split).not.toEqual(a.trees[0]!.split);
  });

  it('grows each tree on ψ distinct rows within the height limit ceil(log2 ψ)', () => {
    const x = cloud(1000, 3);
    const f = trainIsolationForest(x, 2, range(1000), [0, 1], { trees: 10, psi: 256, seed: 5 });
    expect(f.heightLimit).toBe(8);
    for (const t of f.trees) {
      expect(t.size.reduce((a, s) => a + s, 0)).toBe(256);
      expect(t.column.length).toBeLessThanOrEqual(2 * 256 - 1);
      const depth = (node: number): number => (t.column[node]! < 0 ? 0 : 1 + Math.max(depth(t.left[node]!), depth(t.right[node]!)));
      expect(depth(0)).toBeLessThanOrEqual(8);
    }
  });

  it('an outlier scores above every inlier', () => {
    const n = 1000;
    const x = cloud(n, 11);
    const f = trainIsolationForest(x, 2, range(n), [0, 1], { trees: 100, psi: 256, seed: 9 });
    const inliers = range(n).map((i) => anomalyScore(f, x, 2 * i));
    const outlier = anomalyScore(f, [8, -8], 0);
    expect(outlier).toBeGreaterThan(Math.max(...inliers));
    expect(outlier).toBeGreaterThan(0.6);
    expect(inliers.reduce((a, s) => a + s, 0) / n).toBeLessThan(0.5);
  });
});

/** Rows of FEATURE_COUNT columns in `group`, column 0 normal noise. */
function rowsOf(groups: number[], seed: number): Float32Array {
  const rng = mulberry32(seed);
  const x = new Float32Array(groups.length * FEATURE_COUNT);
  groups.forEach((g, r) => {
    x[r * FEATURE_COUNT] = rng.normal();
    x[r * FEATURE_COUNT + GROUP_FEATURE] = g;
  });
  return x;
}

describe('isolation forests per kind / per (kind, type) group', () => {
  const camera = KIND_OF_GROUP.indexOf((['access', 'barrier', 'fence', 'camera'] as const).indexOf('camera'));
  const access = [...KIND_OF_GROUP].map((k, g) => (k === 0 ? g : -1)).filter((g) => g >= 0);
  const [busy, thin] = [access[0]!, access[1]!];
  const groups = [...Array<number>(600).fill(busy), ...Array<number>(10).fill(thin)];
  const x = rowsOf(groups, 1);

  it('one forest per kind seen; "group" adds forests only for groups with enough rows', () => {
    const byKind = trainGroupedIForest(x, groups.length, { trees: 10, grouping: 'kind' });
    expect(byKind.kinds.map((f) => f !== null)).toEqual([true, false, false, false]);
    expect(byKind.groups.every((f) => f === null)).toBe(true);
    const byGroup = trainGroupedIForest(x, groups.length, { trees: 10, grouping: 'group', minGroupRows: 256 });
    expect(byGroup.groups.map((f, g) => (f ? g : -1)).filter((g) => g >= 0)).toEqual([busy]);
    expect(byGroup.groups.length).toBe(EVENT_GROUPS.length);
  });

  it('a row of a kind never seen in training scores 1; an outlying value of a seen kind scores above the bulk', () => {
    const m = trainGroupedIForest(x, groups.length, { trees: 50, grouping: 'kind' });
    const probe = rowsOf([camera, busy, busy], 2);
    probe[FEATURE_COUNT] = 0;
    probe[2 * FEATURE_COUNT] = 9;
    const s = scoreGroupedIForest(m, probe, 3);
    expect(s[0]).toBe(1);
    expect(s[2]!).toBeGreaterThan(s[1]!);
  });

  it('rules + forest: rule rows score the rule score, the others keep the forest\'s', () => {
    const ds = { n: 3, x: rowsOf([busy, thin, busy], 3) } as Dataset;
    const out = withRuleScores(ds, { types: [], groups: [thin], features: [], featureColumns: [], alone: {}, alerts: 0 }, Float32Array.from([0.4, 0.5, 0.6]), 2);
    expect([...out]).toEqual([Math.fround(0.4), 2, Math.fround(0.6)]);
  });
});
