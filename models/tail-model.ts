import { EVENT_GROUPS, FEATURE_COUNT, FEATURE_NAMES, GROUP_FEATURE } from './features.ts';

/**
 * Per-device-kind tail model ("kt"): for every kind and every behavioural feature, the empirical
 * upper tail of normal traffic, stored as bin edges and, per bin, how often per compound-day
 * normal traffic of that kind reaches that value. An event's score is the largest surprise over
 * its features:  score = max_j −log10(normal exceedances of x_j per compound-day).
 *
 * Why this family: every feature is calibrated on its own, in the unit the alert budget is in
 * (alerts per compound per day), so one extreme feature is never averaged away by fifteen quiet
 * ones (the autoencoder's MSE did exactly that: a door held 30 min barely moved it), and the
 * feature that decided is the explanation. Per kind, because "three loitering alarms" means
 * something else on a camera than on a door. Context columns (hour, weekend, kind) are not scored.
 */
export interface TailModel {
  /** Feature columns that are scored (indices into FEATURE_NAMES). */
  used: number[];
  /** Bins per (kind, feature): edges [kinds × used × K] ascending, padded with +Infinity. */
  K: number;
  edges: Float32Array;
  /** Surprise per bin [kinds × used × (K + 1)]; bin = number of edges strictly below x. */
  surprise: Float32Array;
  /**
   * Beyond the data: an exponential tail fitted to the top of each (kind, feature)
   * ([kinds × used] each): line = base + slope · (x − start), the score is max(bin, line) capped
   * at `cap`. Without it every value past the training maximum would tie, and the threshold
   * would have to sit at the edge of the training data.
   */
  start: Float32Array;
  base: Float32Array;
  slope: Float32Array;
  /** Largest surprise per (group, feature) [groups × used]: `cap`, or cap + 1 for rule groups (above anything a feature can reach, so a threshold at the cap still lets a rule alert). */
  caps: Float32Array;
  cap: number;
}

/** Context, not behaviour: hour and weekday shape the other features' expectations already. */
const CONTEXT = new Set(['hour_sin', 'hour_cos', 'weekend', 'event_group']);
export const SCORED_FEATURES: readonly number[] = FEATURE_NAMES.map((n, i) => (CONTEXT.has(n) ? -1 : i)).filter((i) => i >= 0);

export interface TailTrainOptions {
  /** Bins per (kind, feature). */
  bins: number;
  /** Tail resolution: edges at exceedance fractions 10^(−m/steps), m = 0, 1, … */
  stepsPerDecade: number;
  /** The exponential tail is fitted to the values above this exceedance fraction … */
  tailFraction: number;
  /** … but to at least this many values. */
  tailMinValues: number;
  /** Floor of the tail's mean excess (feature units): a feature flat in normal traffic still has a finite slope. */
  scaleFloor: number;
  /** Largest surprise one feature can give (decades). */
  cap: number;
}

export const DEFAULT_TAIL_OPTIONS: Readonly<TailTrainOptions> = Object.freeze({
  bins: 48, stepsPerDecade: 6, tailFraction: 0.001, tailMinValues: 20, scaleFloor: 0.02, cap: 12,
});

/** The row's (kind, type) group: its tables. */
export function kindOfRow(x: ArrayLike<number>, base: number): number {
  const g = x[base + GROUP_FEATURE]!;
  return g >= 0 && g < EVENT_GROUPS.length ? Math.trunc(g) : 0;
}

/** Fit the tables on normal rows `x` [n × FEATURE_COUNT] covering `compoundDays` compound-days. */
export function trainTailModel(x: Float32Array, n: number, compoundDays: number, options: Partial<TailTrainOptions> = {}): TailModel {
  const o = { ...DEFAULT_TAIL_OPTIONS, ...options };
  const used = [...SCORED_FEATURES];
  const U = used.length;
  const K = o.bins;
  const nk = EVENT_GROUPS.length;
  const edges = new Float32Array(nk * U * K).fill(Number.POSITIVE_INFINITY);
  const surprise = new Float32Array(nk * U * (K + 1));
  const start = new Float32Array(nk * U);
  const base = new Float32Array(nk * U);
  const slope = new Float32Array(nk * U);
  const rowsOfKind: number[][] = EVENT_GROUPS.map(() => []);
  for (let r = 0; r < n; r++) rowsOfKind[kindOfRow(x, r * FEATURE_COUNT)]!.push(r);
  const cd = Math.max(1, compoundDays);
  for (let k = 0; k < nk; k++) {
    const rows = rowsOfKind[k]!;
    const m = rows.length;
    for (let u = 0; u < U; u++) {
      const j = used[u]!;
      const v = Float32Array.from(rows, (r) => x[r * FEATURE_COUNT + j]!).sort();
      // Candidate edges: the value at each exceedance level (dense in the tail, where the
      // threshold lives), plus the maximum; duplicates collapse.
      const cand: number[] = [];
      if (m > 0) {
        for (let s = 0; ; s++) {
          const frac = Math.pow(10, -s / o.stepsPerDecade);
          const rank = Math.min(m - 1, Math.max(0, Math.ceil(m * (1 - frac))));
          cand.push(v[rank]!);
          if (frac * m < 1) break;
        }
        cand.push(v[m - 1]!);
      }
      const uniq = [...new Set(cand)].sort((a, b) => a - b);
      // Keep the top K edges (the tail matters; the body all scores low anyway).
      const kept = uniq.slice(Math.max(0, uniq.length - K));
      const eBase = (k * U + u) * K;
      kept.forEach((e, i) => (edges[eBase + i] = e));
      const sBase = (k * U + u) * (K + 1);
      // Bin i holds x with edges[i−1] < x ≤ edges[i]: normal values above edges[i−1] bound how
      // often normal traffic gets this far (conservative: the lower edge of the bin).
      let above = m;
      let p = 0;
      for (let i = 0; i <= K; i++) {
        if (i > 0 && i - 1 < kept.length) {
          const edge = kept[i - 1]!;
          while (p < m && v[p]! <= edge) p++;
          above = m - p;
        }
        surprise[sBase + i] = Math.fround(-Math.log10((above + 0.5) / cd));
      }
      // Exponential tail: P(X > x) ≈ P(X > u) · exp(−(x − u)/σ), σ = mean excess over u.
      const tailN = Math.min(m, Math.max(o.tailMinValues, Math.ceil(m * o.tailFraction)));
      const ui = k * U + u;
      if (m === 0) {
        start[ui] = 0;
        base[ui] = Math.fround(-Math.log10(0.5 / cd));
        slope[ui] = Math.fround(1 / (o.scaleFloor * Math.LN10));
        continue;
      }
      const uVal = v[m - tailN]!;
      let excess = 0;
      let cnt = 0;
      for (let i = m - tailN; i < m; i++) {
        if (v[i]! > uVal) {
          excess += v[i]! - uVal;
          cnt++;
        }
      }
      const sigma = Math.max(o.scaleFloor, cnt > 0 ? excess / cnt : 0);
      // Anchor at P(X ≥ u): for a feature that is 0 in all normal traffic that is 1, so only
      // the slope (steep, from the scale floor) says how strange a 1 is.
      let aboveU = 0;
      for (let i = m - 1; i >= 0 && v[i]! >= uVal; i--) aboveU++;
      start[ui] = uVal;
      base[ui] = Math.fround(-Math.log10((aboveU + 0.5) / cd));
      slope[ui] = Math.fround(1 / (sigma * Math.LN10));
    }
  }
  return { used, K, edges, surprise, start, base, slope, caps: new Float32Array(nk * U).fill(o.cap), cap: o.cap };
}

/** One feature's surprise in float32 steps, exactly as the ONNX graph computes it. */
function featureSurprise(model: TailModel, ui: number, bin: number, xv: number): number {
  const K = model.K;
  const table = model.surprise[ui * (K + 1) + bin]!;
  const line = Math.fround(model.base[ui]! + Math.fround(model.slope[ui]! * Math.fround(xv - model.start[ui]!)));
  return Math.min(Math.max(table, line), model.caps[ui]!);
}

/**
 * Number of edges strictly below x (what the graph's Less + ReduceSum gives): edges ascend
 * (padding +Infinity), so a binary search finds it in log2(K) steps instead of K comparisons.
 * NaN compares false with everything: bin 0, as in the graph.
 */
function binOf(edges: Float32Array, base: number, K: number, xv: number): number {
  if (!(xv > edges[base]!)) return 0;
  let lo = 1; // edges[base + lo − 1] < xv holds
  let hi = K;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xv > edges[base + mid - 1]!) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The TypeScript reference scorer (what onnxruntime computes, bit for bit). */
export function scoreTail(model: TailModel, x: Float32Array, n: number, out = new Float32Array(n), top?: Int32Array): Float32Array {
  const U = model.used.length;
  const K = model.K;
  for (let r = 0; r < n; r++) {
    const base = r * FEATURE_COUNT;
    const k = kindOfRow(x, base);
    let best = Number.NEGATIVE_INFINITY;
    let arg = 0;
    for (let u = 0; u < U; u++) {
      const xv = x[base + model.used[u]!]!;
      const bin = binOf(model.edges, (k * U + u) * K, K, xv);
      const s = featureSurprise(model, k * U + u, bin, xv);
      if (s > best) {
        best = s;
        arg = u;
      }
    }
    out[r] = best;
    if (top) top[r] = model.used[arg]!;
  }
  return out;
}

/** Every scored feature's surprise for one row (in `used` order), as the graph computes them. */
export function featureScores(model: TailModel, row: ArrayLike<number>): Float32Array {
  const U = model.used.length;
  const K = model.K;
  const k = kindOfRow(row, 0);
  const out = new Float32Array(U);
  for (let u = 0; u < U; u++) {
    const xv = row[model.used[u]!]!;
    out[u] = featureSurprise(model, k * U + u, binOf(model.edges, (k * U + u) * K, K, xv), xv);
  }
  return out;
}

/** Per-feature surprises of one row, highest first (the explanation of an alert). */
export function explainRow(model: TailModel, row: ArrayLike<number>, limit = 3): { feature: string; surprise: number; value: number }[] {
  const U = model.used.length;
  const K = model.K;
  const k = kindOfRow(row, 0);
  const out: { feature: string; surprise: number; value: number }[] = [];
  for (let u = 0; u < U; u++) {
    const j = model.used[u]!;
    const xv = row[j]!;
    let bin = 0;
    for (let i = 0; i < K; i++) if (xv > model.edges[(k * U + u) * K + i]!) bin++;
    out.push({ feature: FEATURE_NAMES[j]!, surprise: featureSurprise(model, k * U + u, bin, xv), value: xv });
  }
  return out.sort((a, b) => b.surprise - a.surprise).slice(0, limit);
}
