import { mulberry32, type Rng } from './random.ts';
import { ModelError } from './errors.ts';

/**
 * Isolation forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008): `trees` random trees, each
 * grown on a subsample of ψ rows without replacement down to the height limit ceil(log2 ψ); a
 * row's path length h(x) is the edges from the root to its leaf plus c(size of the leaf) for the
 * part of the tree that was not grown; the score is s = 2^(−E[h(x)] / c(ψ)), near 1 for rows
 * that are isolated in few splits, at or below 0.5 for the bulk.
 *
 * One departure from the paper, as scikit-learn does: a split draws its attribute among those
 * that are NOT constant in the node's rows (most of our 24 columns are 0 in nearly every normal
 * row; drawing a constant one would waste a level of the height limit on a no-op split). A node
 * whose rows are all equal is a leaf. Deterministic: same rows, columns and seed → same trees.
 */
export interface IsolationTree {
  /** Column split on per node; −1 = leaf. */
  column: Int32Array;
  /** Split value: x[column] < split goes left. */
  split: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Training rows that reached a leaf (0 for inner nodes). */
  size: Int32Array;
}

export interface IsolationForest {
  trees: IsolationTree[];
  /** Columns the trees may split on (indices into a row). */
  columns: number[];
  /** Subsample size actually used (min(ψ, rows)); c(psi) normalises the path length. */
  psi: number;
  heightLimit: number;
}

export interface ForestOptions {
  trees: number;
  psi: number;
  seed: number;
}

export const DEFAULT_FOREST_OPTIONS: Readonly<ForestOptions> = Object.freeze({ trees: 100, psi: 256, seed: 20261201 });

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among n points (the paper's c(n), with H(i) ≈ ln i + γ). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * Grow a forest on the rows `rows` of `x` (row-major, `stride` values per row). Each tree draws
 * its own subsample (a partial Fisher–Yates shuffle from the seeded generator).
 */
export function trainIsolationForest(x: ArrayLike<number>, stride: number, rows: ArrayLike<number>, columns: readonly number[], options: Partial<ForestOptions> = {}): IsolationForest {
  const o = { ...DEFAULT_FOREST_OPTIONS, ...options };
  if (rows.length === 0) throw new ModelError('SS_MODEL_TOO_FEW_SAMPLES', 'an isolation forest needs at least 1 training row');
  const rng = mulberry32(o.seed);
  const psi = Math.min(o.psi, rows.length);
  const heightLimit = Math.ceil(Math.log2(Math.max(2, psi)));
  const pool = Array.from(rows);
  const trees: IsolationTree[] = [];
  for (let t = 0; t < o.trees; t++) {
    for (let i = 0; i < psi; i++) {
      const j = i + rng.int(pool.length - i);
      const tmp = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = tmp;
    }
    trees.push(growTree(x, stride, pool.slice(0, psi), columns, heightLimit, rng));
  }
  return { trees, columns: [...columns], psi, heightLimit };
}

function growTree(x: ArrayLike<number>, stride: number, sample: number[], columns: readonly number[], heightLimit: number, rng: Rng): IsolationTree {
  // A binary tree on ψ rows has at most 2ψ − 1 nodes.
  const cap = 2 * sample.length - 1;
  const tree: IsolationTree = { column: new Int32Array(cap).fill(-1), split: new Float64Array(cap), left: new Int32Array(cap), right: new Int32Array(cap), size: new Int32Array(cap) };
  let next = 0;
  const lo = new Float64Array(columns.length);
  const hi = new Float64Array(columns.length);
  const grow = (idx: number[], depth: number): number => {
    const node = next++;
    if (depth >= heightLimit || idx.length <= 1) {
      tree.size[node] = idx.length;
      return node;
    }
    lo.fill(Number.POSITIVE_INFINITY);
    hi.fill(Number.NEGATIVE_INFINITY);
    for (const r of idx) {
      for (let c = 0; c < columns.length; c++) {
        const v = x[r * stride + columns[c]!]!;
        if (v < lo[c]!) lo[c] = v;
        if (v > hi[c]!) hi[c] = v;
      }
    }
    const varying: number[] = [];
    for (let c = 0; c < columns.length; c++) if (hi[c]! > lo[c]!) varying.push(c);
    if (varying.length === 0) {
      tree.size[node] = idx.length;
      return node;
    }
    const c = varying[rng.int(varying.length)]!;
    const a = lo[c]!;
    const b = hi[c]!;
    // Uniform in (a, b]: a split at a itself would send nothing left.
    let p = a + rng.next() * (b - a);
    if (!(p > a)) p = b;
    const col = columns[c]!;
    const L: number[] = [];
    const R: number[] = [];
    for (const r of idx) (x[r * stride + col]! < p ? L : R).push(r);
    tree.column[node] = col;
    tree.split[node] = p;
    tree.left[node] = grow(L, depth + 1);
    tree.right[node] = grow(R, depth + 1);
    return node;
  };
  grow(sample, 0);
  return { column: tree.column.slice(0, next), split: tree.split.slice(0, next), left: tree.left.slice(0, next), right: tree.right.slice(0, next), size: tree.size.slice(0, next) };
}

/** h(x) in one tree: edges to the leaf + c(leaf size). `base` is the row's offset in `x`. */
export function pathLength(tree: IsolationTree, x: ArrayLike<number>, base: number): number {
  let node = 0;
  let depth = 0;
  while (tree.column[node]! >= 0) {
    node = x[base + tree.column[node]!]! < tree.split[node]! ? tree.left[node]! : tree.right[node]!;
    depth++;
  }
  return depth + averagePathLength(tree.size[node]!);
}

/** s(x) = 2^(−E[h(x)] / c(ψ)) for the row at offset `base`. */
export function anomalyScore(forest: IsolationForest, x: ArrayLike<number>, base: number): number {
  let sum = 0;
  for (const t of forest.trees) sum += pathLength(t, x, base);
  const c = averagePathLength(forest.psi);
  // ψ = 1: every path is 0 and c(1) = 0; the score is then undefined, call it the bulk's 0.5.
  if (c === 0) return 0.5;
  return Math.pow(2, -(sum / forest.trees.length) / c);
}
