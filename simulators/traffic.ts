import type { City, CityCompound, CityDevice } from '../protocol/city.ts';
import type { DeviceKind } from '../protocol/devices.ts';
import { deviceTopic, type DeviceChannel } from '../protocol/topics.ts';
import { compoundOf } from './city.ts';
import { BEHAVIOURS, type DeviceEnv, type Draft } from './devices/index.ts';
import { deviceTime, drawClock, type Clock } from './devices/clock.ts';
import { localClock, rhythmAt, rhythmMax } from './devices/rhythm.ts';
import { Rng } from './random.ts';
import type { Action, BadSpec, PlannedMessage, ScenarioPlan, ScenarioSpec, TruthRecord } from './scenarios/types.ts';
import { encodeHeartbeat, encodeState, encoderFor, type BadKind, type Intent } from './vendors/index.ts';

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

interface Pending {
  at: number;
  channel: DeviceChannel;
  draft: Draft;
  truthId?: string;
  action?: Action;
  raw?: PlannedMessage['raw'];
}


class DeviceStream {
  readonly env: DeviceEnv;
  private readonly rng: Rng;
  private readonly clock: Clock;
  private readonly startedAt: number;
  private readonly lambdaMaxPerMs: number;
  private readonly flat: boolean;
  private seq = 0;
  private nextActivity: number;
  private nextHeartbeat: number;
  private pending: Pending[] = [];
  private silences: { from: number; to: number }[] = [];
  /** Topics built once: the topic module validates ids on every call. */
  private readonly topics: Record<DeviceChannel, string>;

  constructor(
    env: DeviceEnv,
    rootSeed: number,
    private readonly opts: { startMs: number; ratePerHour: number; flat: boolean; heartbeats: boolean; states: boolean; drift: boolean; tz: number },
  ) {
    this.env = env;
    const { compound, device } = env;
    this.topics = {
      events: deviceTopic(compound.id, device.kind, device.id, 'events'),
      heartbeat: deviceTopic(compound.id, device.kind, device.id, 'heartbeat'),
      state: deviceTopic(compound.id, device.kind, device.id, 'state'),
    };
    this.rng = new Rng(rootSeed).fork(`dev:${env.device.id}`);
    this.clock = drawClock(this.rng, opts.startMs, opts.drift);
    this.startedAt = opts.startMs - Math.round(this.rng.uniform(3_600_000, 60 * 86_400_000));
    this.flat = opts.flat;
    this.lambdaMaxPerMs = (opts.ratePerHour / 3_600_000) * (opts.flat ? 1 : rhythmMax(env.device.kind));
    this.nextActivity = this.drawActivity(opts.startMs);
    const hbMs = env.device.heartbeatSeconds * 1000;
    this.nextHeartbeat = opts.heartbeats ? opts.startMs + Math.floor(this.rng.next() * hbMs) : Infinity;
    if (opts.states) this.pending.push({ at: opts.startMs + Math.floor(this.rng.next() * 2000), channel: 'state', draft: { delayMs: 0, events: [] }, action: 'connect' });
  }

  inject(p: Pending): void {
    let i = this.pending.length;
    while (i > 0 && (this.pending[i - 1] as Pending).at > p.at) i--;
    this.pending.splice(i, 0, p);
  }

  silence(from: number, to: number): void {
    this.silences.push({ from, to });
  }

  private silent(t: number): boolean {
    if (this.silences.length === 0) return false;
    for (const s of this.silences) if (t >= s.from && t < s.to) return true;
    return false;
  }

  private drawActivity(after: number): number {
    if (this.lambdaMaxPerMs <= 0) return Infinity;
    let t = after;
    const kind = this.env.device.kind;
    const max = rhythmMax(kind);
    for (let guard = 0; guard < 100_000; guard++) {
      t += this.rng.exponential(this.lambdaMaxPerMs);
      if (this.flat || this.rng.next() * max < rhythmAt(kind, t, this.opts.tz)) return Math.round(t);
    }
    return Infinity;
  }

  peek(): number {
    const p = this.pending[0]?.at ?? Infinity;
    return Math.min(p, this.nextActivity, this.nextHeartbeat);
  }

  /** The next item, or undefined when the due entry was suppressed (silence); call peek() again. */
  take(): TrafficItem | undefined {
    const due = this.peek();
    const { device } = this.env;
    if (this.pending[0] && this.pending[0].at === due) {
      const p = this.pending.shift() as Pending;
      // The device's own follow-ups (a Dahua Stop, a gate closing) die with its link;
      // scripted scenario messages are sent as planned.
      if (!p.truthId && this.silent(due)) return undefined;
      return this.item(p);
    }
    if (this.nextHeartbeat === due) {
      this.nextHeartbeat += this.env.device.heartbeatSeconds * 1000;
      if (this.silent(due)) return undefined;
      return this.item({ at: due, channel: 'heartbeat', draft: { delayMs: 0, events: [{ type: 'heartbeat', severity: 'info', attributes: {} }] } });
    }
    this.nextActivity = this.drawActivity(due);
    const hour = localClock(due, this.opts.tz).hour;
    const drafts = BEHAVIOURS[device.kind].next(this.env, this.rng, hour);
    if (this.silent(due)) return undefined;
    const [first, ...rest] = drafts;
    for (const d of rest) this.inject({ at: due + d.delayMs, channel: 'events', draft: d });
    return first ? this.item({ at: due, channel: 'events', draft: first }) : undefined;
  }

  private item(p: Pending): TrafficItem {
    const { device, compound, encoder } = this.env;
    const seq = ++this.seq;
    const action = p.action ?? 'publish';
    const topic = p.raw?.topic ?? this.topics[p.channel];
    const base = { t: p.at, device: device.id, compound: compound.id, kind: device.kind, topic, channel: p.channel, action, ...(p.truthId ? { truthId: p.truthId } : {}) };
    const intent: Intent = {
      kind: device.kind,
      channel: p.channel,
      time: p.at,
      deviceTime: deviceTime(this.clock, p.at),
      events: p.draft.events,
      ...(p.draft.marker ? { marker: p.draft.marker } : {}),
      ...(p.draft.markerOf ? { markerOf: p.draft.markerOf } : {}),
      ...(p.draft.meta ? { meta: p.draft.meta } : {}),
    };
    if (p.raw) {
      intent.bad = p.raw.bad;
      intent.events = [];
      return {
        ...base, payload: p.raw.payload, expectedEvents: 0, intent, bad: p.raw.bad,
        ...(p.raw.credentials ? { credentials: p.raw.credentials } : {}), ...(p.raw.separate ? { separate: true } : {}),
      };
    }
    if (action === 'drop' || action === 'connect') {
      const state = action === 'drop' ? 'offline' : 'online';
      intent.events = [{ type: state, severity: 'info', attributes: {} }];
      const enc = encodeState(state);
      return { ...base, channel: 'state', topic: this.topics.state, payload: enc.payload, expectedEvents: enc.expectedEvents, intent };
    }
    const ctx = { device, compound, seq, tzOffsetMinutes: this.opts.tz };
    const enc = p.channel === 'heartbeat' ? encodeHeartbeat(intent, ctx, this.startedAt) : encoder.encode(intent, ctx);
    return { ...base, payload: enc.payload, expectedEvents: enc.expectedEvents, intent };
  }
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
  const heap: [number, number][] = [];
  const less = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (e: [number, number]): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i] as [number, number], heap[p] as [number, number])) break;
      [heap[i], heap[p]] = [heap[p] as [number, number], heap[i] as [number, number]];
      i = p;
    }
  };
  const pop = (): [number, number] | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l] as [number, number], heap[m] as [number, number])) m = l;
        if (r < heap.length && less(heap[r] as [number, number], heap[m] as [number, number])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as [number, number], heap[i] as [number, number]];
        i = m;
      }
    }
    return top;
  };
  streams.forEach((s, i) => push([s.peek(), i]));
  for (;;) {
    const top = heap[0];
    const nextOrphan = orphans[orphanAt];
    const tStream = top ? top[0] : Infinity;
    if (nextOrphan && nextOrphan.at <= tStream) {
      if (nextOrphan.at >= end) return;
      orphanAt++;
      yield orphanItem(nextOrphan);
      continue;
    }
    if (!top || tStream >= end || tStream === Infinity) return;
    pop();
    const s = streams[top[1]] as DeviceStream;
    const item = s.take();
    push([s.peek(), top[1]]);
    if (item) yield item;
  }
}

/** All the ground truth of a plan, for the JSONL file. */
export function truthLines(truth: readonly TruthRecord[]): string {
  return truth.map((r) => JSON.stringify(r)).join('\n') + (truth.length ? '\n' : '');
}

export type { BadSpec, ScenarioSpec };
