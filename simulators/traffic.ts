import type { City, CityCompound, CityDevice } from '../protocol/city.ts';
import type { DeviceKind } from '../protocol/devices.ts';
import { deviceTopic, type DeviceChannel } from '../protocol/topics.ts';
import { compoundOf } from './city.ts';
import { DeviceStream } from './device-stream.ts';
import { BEHAVIOURS, type DeviceEnv } from './devices/index.ts';
import { TimeHeap } from './heap.ts';
import type { Action, BadSpec, PlannedMessage, ScenarioPlan, ScenarioSpec, TruthRecord } from './scenarios/types.ts';
import { encoderFor, type BadKind, type Intent } from './vendors/index.ts';

/**
 * The traffic generator: pure, lazy, deterministic. Each device draws from its own seeded stream
 * (non-homogeneous Poisson activities by thinning against the daily rhythm, heartbeats on
 * schedule, scenario messages injected in time order) and the streams are merged by time.
 * `runSimulation` adds only the MQTT transport on top of it.
 */
export interface TrafficOptions {
  city: City;
  compoundIds: readonly string[];
  seed: number;
  /** Epoch ms of the first message. */
  startMs: number;
  /** Stop before startMs + durationMs; omit for an endless stream (bound it yourself). */
  durationMs?: number;
  /**
   * Events-channel activities per second across all devices, replacing the realistic rates
   * (heartbeats come on top, on schedule). Omit for realistic rates.
   */
  ratePerSecond?: number;
  /** 'daily' (default): morning/evening peaks, night lull, weekends; 'flat': constant rate. */
  rhythm?: 'daily' | 'flat';
  heartbeats?: boolean;
  /** Emit each device's `online` state message at the start (default true). */
  states?: boolean;
  /** Some devices' clocks drift (default true). */
  drift?: boolean;
  tzOffsetMinutes?: number;
  /** A ready plan (scenarios + bad traffic), e.g. from planScenarios(). */
  plan?: ScenarioPlan;
}

export interface TrafficItem {
  /** True time (epoch ms) the message is due. */
  t: number;
  device: string;
  compound: string;
  kind: DeviceKind;
  topic: string;
  channel: DeviceChannel;
  payload: string | Buffer;
  /** Canonical events the edge should produce from it (0 for markers and bad traffic). */
  expectedEvents: number;
  intent: Intent;
  truthId?: string;
  /** publish (default), drop the connection (the broker sends the Will), or (re)connect + `online`. */
  action: Action;
  /** Bad traffic: what kind, and credentials when it is not the device's own. */
  bad?: BadKind;
  credentials?: { username: string; password: string };
  /** Bad traffic sent on a separate probe connection so a refusal never cuts the device off. */
  separate?: boolean;
}

/** Orphan messages (devices not in the city: unknown-device traffic), already time-sorted. */
function orphanItem(m: PlannedMessage): TrafficItem {
  const compound = m.compound ?? 'unknown';
  const kind: DeviceKind = 'access';
  return {
    t: m.at,
    device: m.device,
    compound,
    kind,
    topic: m.raw?.topic ?? deviceTopic(compound, kind, m.device, m.channel),
    channel: m.channel,
    payload: m.raw?.payload ?? '',
    expectedEvents: 0,
    intent: { kind, channel: m.channel, time: m.at, deviceTime: m.at, events: [], ...(m.raw ? { bad: m.raw.bad } : {}) },
    truthId: m.truthId,
    action: 'publish',
    ...(m.raw ? { bad: m.raw.bad } : {}),
    ...(m.raw?.credentials ? { credentials: m.raw.credentials } : {}),
  };
}

/** Per-device realistic activity rates (per hour, weekly mean). */
function envsFor(city: City, compoundIds: readonly string[]): DeviceEnv[] {
  const envs: DeviceEnv[] = [];
  for (const id of compoundIds) {
    const compound: CityCompound = compoundOf(city, id);
    const counts = new Map<DeviceKind, number>();
    for (const d of compound.devices) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
    for (const device of compound.devices as CityDevice[]) {
      envs.push({ device, compound, encoder: encoderFor(device.profile), siblings: counts.get(device.kind) ?? 1 });
    }
  }
  return envs;
}

export function* generateTraffic(opts: TrafficOptions): Generator<TrafficItem> {
  const tz = opts.tzOffsetMinutes ?? 480;
  const envs = envsFor(opts.city, opts.compoundIds);
  const realistic = envs.map((e) => BEHAVIOURS[e.device.kind].ratePerHour(e));
  const total = realistic.reduce((a, b) => a + b, 0);
  const scale = opts.ratePerSecond !== undefined && total > 0 ? (opts.ratePerSecond * 3600) / total : 1;
  const flat = opts.rhythm === 'flat';
  const streams = envs.map(
    (env, i) =>
      new DeviceStream(env, opts.seed, {
        startMs: opts.startMs,
        ratePerHour: (realistic[i] as number) * scale,
        flat,
        heartbeats: opts.heartbeats ?? true,
        states: opts.states ?? true,
        drift: opts.drift ?? true,
        tz,
      }),
  );
  const byId = new Map(streams.map((s) => [s.env.device.id, s]));
  const orphans: PlannedMessage[] = [];
  for (const s of opts.plan?.silences ?? []) byId.get(s.device)?.silence(s.from, s.to);
  for (const m of opts.plan?.messages ?? []) {
    const s = byId.get(m.device);
    if (!s) { orphans.push(m); continue; }
    s.inject({
      at: m.at,
      channel: m.channel,
      draft: { delayMs: 0, events: m.events, ...(m.marker ? { marker: m.marker } : {}), ...(m.markerOf ? { markerOf: m.markerOf } : {}), ...(m.meta ? { meta: m.meta } : {}) },
      truthId: m.truthId,
      ...(m.action ? { action: m.action } : {}),
      ...(m.raw ? { raw: m.raw } : {}),
    });
  }
  orphans.sort((a, b) => a.at - b.at);
  let orphanAt = 0;

  const end = opts.durationMs !== undefined ? opts.startMs + opts.durationMs : Infinity;
  // Min-heap of (time, stream index): ties break by index, so the merge is deterministic.
  const heap = new TimeHeap();
  streams.forEach((s, i) => heap.push(s.peek(), i));
  for (;;) {
    const top = heap.peek();
    const nextOrphan = orphans[orphanAt];
    const tStream = top ? top[0] : Infinity;
    if (nextOrphan && nextOrphan.at <= tStream) {
      if (nextOrphan.at >= end) return;
      orphanAt++;
      yield orphanItem(nextOrphan);
      continue;
    }
    if (!top || tStream >= end || tStream === Infinity) return;
    heap.pop();
    const s = streams[top[1]] as DeviceStream;
    const item = s.take();
    heap.push(s.peek(), top[1]);
    if (item) yield item;
  }
}

/** All the ground truth of a plan, for the JSONL file. */
export function truthLines(truth: readonly TruthRecord[]): string {
  return truth.map((r) => JSON.stringify(r)).join('\n') + (truth.length ? '\n' : '');
}

export type { BadSpec, ScenarioSpec };
