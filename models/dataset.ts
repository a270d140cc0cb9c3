import { FEATURE_COUNT, FeatureExtractor, type FeatureEvent, type FeatureOptions } from './features.ts';
import type { Detector } from './baselines.ts';
import type { Severity } from '../protocol/devices.ts';

/** A canonical event plus its ground truth (the simulators' scenario id, when it belongs to one). */
export interface LabeledEvent extends FeatureEvent {
  truthId?: string;
  /** The vendor's severity as the codec reports it (rules read it; the features do not). */
  severity?: Severity;
}

/** Feature rows of a traffic stream, with what evaluation needs to know about each row. */
export interface Dataset {
  n: number;
  /** [n × FEATURE_COUNT] row-major. */
  x: Float32Array;
  t: Float64Array;
  compound: string[];
  device: string[];
  truthId: (string | undefined)[];
  type: string[];
  /** Scores of the baseline detectors, one array per detector name, aligned with the rows. */
  baselines: Record<string, Float64Array>;
  /** Distinct compounds seen in the kept rows. */
  compounds: number;
}

class Growable {
  data: Float32Array | Float64Array;
  constructor(private readonly make: (n: number) => Float32Array | Float64Array, cap = 4096) {
    this.data = make(cap);
  }
  ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = this.make(Math.max(n, this.data.length * 2));
    next.set(this.data);
    this.data = next;
  }
}

/**
 * Run the one feature definition (and the baselines, on the very same events) over a stream.
 * Everything before `keepFrom` only warms the windows and histories — as an edge that has been
 * running for a while — and yields no rows; rows stop at `keepUntil`.
 */
export function buildDataset(
  events: Iterable<LabeledEvent>,
  opts: { keepFrom: number; keepUntil?: number; features?: Partial<FeatureOptions>; detectors?: Detector[] },
): Dataset {
  const fx = new FeatureExtractor(opts.features);
  const detectors = opts.detectors ?? [];
  const x = new Growable((n) => new Float32Array(n * FEATURE_COUNT));
  const t = new Growable((n) => new Float64Array(n));
  const det = detectors.map(() => new Growable((n) => new Float64Array(n)));
  const compound: string[] = [];
  const device: string[] = [];
  const truthId: (string | undefined)[] = [];
  const type: string[] = [];
  const row = new Float32Array(FEATURE_COUNT);
  const until = opts.keepUntil ?? Number.POSITIVE_INFINITY;
  let n = 0;
  for (const ev of events) {
    const r = fx.push(ev, row);
    const scores = detectors.map((d) => d.push(ev));
    if (r === null || ev.deviceTime < opts.keepFrom || ev.deviceTime >= until) continue;
    x.ensure((n + 1) * FEATURE_COUNT);
    t.ensure(n + 1);
    x.data.set(r, n * FEATURE_COUNT);
    t.data[n] = ev.deviceTime;
    det.forEach((g, i) => {
      g.ensure(n + 1);
      g.data[n] = scores[i] ?? 0;
    });
    compound.push(ev.compound);
    device.push(ev.device);
    truthId.push(ev.truthId);
    type.push(ev.type);
    n++;
  }
  const baselines: Record<string, Float64Array> = {};
  detectors.forEach((d, i) => {
    baselines[d.name] = (det[i]!.data as Float64Array).slice(0, n);
  });
  return {
    n,
    x: (x.data as Float32Array).slice(0, n * FEATURE_COUNT),
    t: (t.data as Float64Array).slice(0, n),
    compound,
    device,
    truthId,
    type,
    baselines,
    compounds: new Set(compound).size,
  };
}

/** Points for the alert machinery, sorted by time (stable: ties keep stream order). */
export function pointsOf(ds: Dataset, scores: ArrayLike<number>): { t: number; compound: string; device: string; score: number }[] {
  const pts = Array.from({ length: ds.n }, (_, i) => ({ t: ds.t[i]!, compound: ds.compound[i]!, device: ds.device[i]!, score: scores[i]! }));
  return pts.sort((a, b) => a.t - b.t);
}
