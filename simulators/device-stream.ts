import { deviceTopic, type DeviceChannel } from '../protocol/topics.ts';
import { BEHAVIOURS, type DeviceEnv, type Draft } from './devices/index.ts';
import { deviceTime, drawClock, type Clock } from './devices/clock.ts';
import { localClock, rhythmAt, rhythmMax } from './devices/rhythm.ts';
import { Rng } from './random.ts';
import type { Action, PlannedMessage } from './scenarios/types.ts';
import type { TrafficItem } from './traffic.ts';
import { encodeHeartbeat, encodeState, type Intent } from './vendors/index.ts';

/** A message due at `at` on a device: its own follow-ups and scripted scenario messages. */
export interface Pending {
  at: number;
  channel: DeviceChannel;
  draft: Draft;
  truthId?: string;
  action?: Action;
  raw?: PlannedMessage['raw'];
}

/**
 * One device's traffic, lazily: non-homogeneous Poisson activities (thinning against the daily
 * rhythm), heartbeats on schedule, follow-ups and scripted scenario messages in time order,
 * silences (outages) that swallow its own traffic. Its own seeded stream: adding a device or an
 * incident never shifts another device's traffic.
 */
export class DeviceStream {
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
  /** This device's last few own payloads (see `fresh`). */
  private readonly recent: string[] = [];
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
      return p.truthId || p.raw ? this.item(p) : this.fresh(this.item(p));
    }
    if (this.nextHeartbeat === due) {
      this.nextHeartbeat += this.env.device.heartbeatSeconds * 1000;
      if (this.silent(due)) return undefined;
      return this.fresh(this.item({ at: due, channel: 'heartbeat', draft: { delayMs: 0, events: [{ type: 'heartbeat', severity: 'info', attributes: {} }] } }));
    }
    this.nextActivity = this.drawActivity(due);
    const hour = localClock(due, this.opts.tz).hour;
    const drafts = BEHAVIOURS[device.kind].next(this.env, this.rng, hour);
    if (this.silent(due)) return undefined;
    const [first, ...rest] = drafts;
    for (const d of rest) this.inject({ at: due + d.delayMs, channel: 'events', draft: d });
    return first ? this.fresh(this.item({ at: due, channel: 'events', draft: first })) : undefined;
  }

  /**
   * A device says a thing once: byte for byte the same message at the same device time (a fence
   * zone alarming twice in one second, at load-generator rates) is, for the edge, a resend of the
   * same event and gets its id (edge/pipeline/ids.ts, VENDORS.md "Event identity"). Real devices
   * latch such repeats; so does this one, and every message it sends names one event of its own.
   * Scripted scenario messages are sent as planned.
   */
  private fresh(item: TrafficItem): TrafficItem | undefined {
    if (item.action !== 'publish' || item.channel === 'state') return item;
    const key = `${item.channel}\0${typeof item.payload === 'string' ? item.payload : item.payload.toString('latin1')}`;
    if (this.recent.includes(key)) return undefined;
    this.recent.push(key);
    if (this.recent.length > 32) this.recent.shift();
    return item;
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

