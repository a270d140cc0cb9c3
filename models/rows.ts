import { FEATURE_COUNT } from './features.ts';
import type { Dataset } from './dataset.ts';

/** The rows of a dataset for which `keep` holds (train / validation splits). */
export function rowsWhere(ds: Dataset, keep: (i: number) => boolean): Dataset {
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

