import type { Dataset } from './dataset.ts';
import { FEATURE_COUNT } from './features.ts';

/** Several cities' rows as one stream; compound ids are prefixed by the part's index, so compounds stay distinct. */
export function concat(parts: Dataset[]): Dataset {
  const n = parts.reduce((a, d) => a + d.n, 0);
  const x = new Float32Array(n * FEATURE_COUNT);
  const t = new Float64Array(n);
  const baselines: Record<string, Float64Array> = {};
  for (const k of Object.keys(parts[0]?.baselines ?? {})) baselines[k] = new Float64Array(n);
  let o = 0;
  for (const d of parts) {
    x.set(d.x, o * FEATURE_COUNT);
    t.set(d.t, o);
    for (const [k, v] of Object.entries(d.baselines)) baselines[k]!.set(v, o);
    o += d.n;
  }
  const compound = parts.flatMap((d) => d.compound.map((c) => `${parts.indexOf(d)}:${c}`));
  return {
    n, x, t, compound,
    device: parts.flatMap((d) => d.device),
    truthId: parts.flatMap((d) => d.truthId),
    type: parts.flatMap((d) => d.type),
    baselines,
    compounds: new Set(compound).size,
  };
}
