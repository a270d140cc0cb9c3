import { randomBytes } from 'node:crypto';
import type { DeviceEntry } from '../../edge/auth/registry.ts';
import { ingest, type IngestContext } from '../../edge/pipeline/ingest.ts';
import { EdgeTimeStandIn } from '../../edge/pipeline/edge-time.ts';
import { createPrivacy } from '../../edge/pipeline/privacy.ts';
import { createOnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import type { Event } from '../../protocol/event.ts';
import { deviceTopic } from '../../protocol/topics.ts';
import { generateTraffic } from '../../simulators/traffic.ts';
import { evaluateAlerts, type AlertEvaluation, type Incident } from '../metrics.ts';
import { cityFor, startMsOf } from '../sources.ts';
import type { ScoredPoint } from '../threshold.ts';
import type { RunSpec } from './seeds.ts';
import type { Variant } from './variants/catalogue.ts';
import { variantPlan } from './variants/plan.ts';
import { ModelError } from '../errors.ts';

const DAY = 86_400_000;
/** The edge's defaults (edge/pipeline/committer.ts, edge/main.ts): what the live path really does. */
const COMMIT_LINGER_MS = 3;
const COMMIT_MAX_BATCH = 2000;
const LEARNING_MS = 10 * 60_000;

export interface LiveRun {
  seed: number;
  evaluation: AlertEvaluation;
  events: number;
  deadLetters: number;
  /** scoreBatch sizes (events per group commit): what the live edge hands the scorer. */
  batches: { count: number; mean: number; p50: number; p90: number; max: number };
}

/**
 * The evaluation through the edge's own path, in-process: every simulated message as its vendor
 * payload (bytes) → the device's codec → Event v1 → privacy (keyed hashes of cards and plates) →
 * validation → group commits formed as the committer forms them (first message waits 3 ms for
 * company, ≤ 2000 events) → the edge's OnnxScorer with onnxruntime and the 10-min learning
 * period. A device that drops its connection gets its Last Will (`offline` on its state topic),
 * as the broker would publish it. Not covered: the broker itself, rate limiting, the health
 * tracker's silence timer (edge-made events are not scored anyway).
 */
export async function liveRun(spec: RunSpec, variants: readonly Variant[], modelPath: string, perCompoundDay = 2): Promise<LiveRun> {
  const traffic = { citySeed: spec.citySeed, compounds: spec.compounds, trafficSeed: spec.trafficSeed, start: spec.start, days: spec.days };
  const city = cityFor(traffic);
  const start = startMsOf(traffic);
  const from = start + DAY;
  const until = start + spec.days * DAY;
  const plan = variantPlan({ city, seed: spec.scenarioSeed, fromMs: from, days: spec.days - 1, perCompoundDay, variants });
  const entries = new Map<string, DeviceEntry>();
  for (const c of city.compounds) {
    for (const d of c.devices) {
      entries.set(d.id, { device: { id: d.id, compound: c.id, kind: d.kind, profile: d.profile, ...(d.zone !== undefined ? { zone: d.zone } : {}), heartbeatSeconds: 60 }, district: c.district, prefix: deviceTopic(c.id, d.kind, d.id, 'events').replace(/events$/, ''), username: d.id });
    }
  }
  let n = 0;
  const ctx: IngestContext = {
    edge: 'edge-live', timezone: '+08:00', maxPayloadBytes: 256 * 1024, mintId: () => `edge-live.m${(n++).toString(36)}`,
    privacy: createPrivacy(randomBytes(32)), maxSkewMs: 5 * 60_000, standIn: new EdgeTimeStandIn(),
  };
  // The vendor of each device, as the edge's site config gives it (the features' vendor prior).
  const scorer = await createOnnxScorer({ modelPath, watchIntervalMs: false, warmupMs: LEARNING_MS, features: { profileOf: (device) => entries.get(device)?.device.profile } });
  if (scorer.status().state !== 'ok') throw new ModelError('SS_MODEL_EVALUATE_LIVE', scorer.status().reason ?? 'scorer not ok');
  const points: ScoredPoint[] = [];
  const sizes: number[] = [];
  let batch: Event[] = [];
  let batchT = Number.NEGATIVE_INFINITY;
  let events = 0;
  let deadLetters = 0;
  const commit = async (): Promise<void> => {
    if (batch.length === 0) return;
    sizes.push(batch.length);
    await scorer.scoreBatch(batch);
    for (const e of batch) {
      if (e.score === undefined || e.deviceTime < from || e.deviceTime >= until) continue;
      points.push({ t: e.deviceTime, compound: e.compound, device: e.device, score: e.score.anomalous ? 1 : 0 });
    }
    batch = [];
  };
  try {
    for (const m of generateTraffic({ city, compoundIds: city.compounds.map((c) => c.id), seed: spec.trafficSeed, startMs: start, durationMs: spec.days * DAY, heartbeats: false, plan })) {
      if (m.bad !== undefined || m.intent.bad !== undefined) continue; // dead-letter traffic: not the detector's business
      const entry = entries.get(m.device);
      if (!entry) continue;
      const drop = m.action === 'drop';
      const channel = drop ? 'state' : m.channel;
      const payload = drop ? Buffer.from('offline') : typeof m.payload === 'string' ? Buffer.from(m.payload) : m.payload;
      if (!drop && payload.length === 0) continue; // a marker: the device sends nothing
      const r = ingest(ctx, entry, channel, drop ? deviceTopic(m.compound, m.kind, m.device, 'state') : m.topic, payload, m.t);
      if (!r.ok) {
        deadLetters++;
        continue;
      }
      if (m.t - batchT > COMMIT_LINGER_MS || batch.length >= COMMIT_MAX_BATCH) {
        await commit();
        batchT = m.t;
      }
      batch.push(...r.events);
      events += r.events.length;
    }
    await commit();
  } finally {
    await scorer.close();
  }
  points.sort((a, b) => a.t - b.t);
  const incidents: Incident[] = plan.truth
    .filter((r) => r.end >= from && r.start < until)
    .map((r) => ({ id: r.id, scenario: r.scenario, compound: r.compound, devices: r.devices, start: r.start, end: r.end }));
  const evaluation = evaluateAlerts(points, incidents, 0.5, { compoundDays: spec.compounds * (spec.days - 1), refractoryMs: 600_000 });
  const s = [...sizes].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return {
    seed: spec.seed, evaluation, events, deadLetters,
    batches: { count: s.length, mean: Math.round((events / Math.max(1, s.length)) * 100) / 100, p50: q(0.5), p90: q(0.9), max: s.at(-1) ?? 0 },
  };
}
