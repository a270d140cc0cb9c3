import type { Event } from '../../protocol/event.ts';
import type { DeviceEntry, DeviceRegistry } from '../auth/registry.ts';

/**
 * Device health as the edge sees it. A device is online once anything arrives from it, offline
 * when it says so (`state` channel / Last Will) or when it has been silent for
 * `missedHeartbeats` × its heartbeat interval (the edge decides; such events carry
 * `attributes.origin = 'edge'`). Late messages after an edge-declared offline bring it back
 * online with one edge-origin `online` event (Sparkplug's lesson: status must be trustworthy).
 */
export interface DeviceCounters {
  messages: number;
  events: number;
  deadLettered: number;
  refused: number;
  rateLimited: number;
}

export interface DeviceHealthView {
  id: string;
  compound: string;
  kind: string;
  profile: string;
  zone?: number;
  heartbeatSeconds: number;
  /** null until the device has been heard from (or declared missing) since the edge started. */
  online: boolean | null;
  connected: boolean;
  lastSeen: number | null;
  lastEvent: { type: string; at: number; deviceTime: number } | null;
  lastError: { code: string; reason: string; at: number } | null;
  /** Device clock as the edge sees it: skew = receive time − device time of its last event. */
  clock: { skewMs: number | null; suspect: boolean; suspectEvents: number };
  counters: DeviceCounters;
}

interface State {
  entry: DeviceEntry;
  online: boolean | null;
  /** Who last set `online`: the device itself or the edge's silence detector. */
  declaredBy: 'device' | 'edge' | null;
  connected: boolean;
  lastSeen: number | null;
  lastEvent: DeviceHealthView['lastEvent'];
  lastError: DeviceHealthView['lastError'];
  clock: DeviceHealthView['clock'];
  counters: DeviceCounters;
}

/** A health change the edge detected itself; the caller turns it into an edge-origin event. */
export interface HealthTransition {
  entry: DeviceEntry;
  type: 'online' | 'offline';
  reason: 'heartbeat-missed' | 'never-seen' | 'seen-again';
  silentS: number;
}

export class HealthTracker {
  private readonly states = new Map<string, State>();
  private readonly startedAt: number;

  constructor(registry: DeviceRegistry, clock: () => number, private readonly missedHeartbeats = 3) {
    this.startedAt = clock();
    for (const entry of registry.all()) {
      this.states.set(entry.device.id, {
        entry, online: null, declaredBy: null, connected: false, lastSeen: null, lastEvent: null, lastError: null,
        clock: { skewMs: null, suspect: false, suspectEvents: 0 },
        counters: { messages: 0, events: 0, deadLettered: 0, refused: 0, rateLimited: 0 },
      });
    }
  }

  /** Any message from the device. Returns a transition when the edge had declared it offline. */
  seen(id: string, at: number, countMessage = true): HealthTransition | undefined {
    const s = this.states.get(id);
    if (!s) return undefined;
    if (countMessage) s.counters.messages++;
    const silentS = s.lastSeen === null ? 0 : Math.round((at - s.lastSeen) / 1000);
    s.lastSeen = at;
    if (s.online === false && s.declaredBy === 'edge') {
      s.online = true;
      s.declaredBy = 'edge';
      return { entry: s.entry, type: 'online', reason: 'seen-again', silentS };
    }
    if (s.online === null) {
      s.online = true;
      s.declaredBy = 'device';
    }
    return undefined;
  }

  connection(id: string, connected: boolean): void {
    const s = this.states.get(id);
    if (s) s.connected = connected;
  }

  /** Events accepted into the outbox (state events set online/offline as the device declared). */
  accepted(events: readonly Event[]): void {
    for (const e of events) {
      const s = this.states.get(e.device);
      if (!s) continue;
      s.counters.events++;
      if (e.attributes['origin'] !== 'edge') s.lastEvent = { type: e.type, at: e.receivedAt, deviceTime: e.deviceTime };
      if (e.attributes['origin'] === 'edge') continue;
      s.clock.skewMs = e.clockSkewMs ?? e.receivedAt - e.deviceTime;
      s.clock.suspect = e.clockSuspect === true;
      if (e.clockSuspect) s.clock.suspectEvents++;
      if (e.type === 'offline') {
        s.online = false;
        s.declaredBy = 'device';
      } else if (e.type === 'online') {
        s.online = true;
        s.declaredBy = 'device';
      }
    }
  }

  deadLettered(id: string, code: string, reason: string, at: number): void {
    const s = this.states.get(id);
    if (!s) return;
    s.counters.deadLettered++;
    s.lastError = { code, reason, at };
  }

  refused(id: string, code: string, reason: string, at: number): void {
    const s = this.states.get(id);
    if (!s) return;
    s.counters.refused++;
    s.lastError = { code, reason, at };
  }

  rateLimited(id: string): void {
    const s = this.states.get(id);
    if (s) s.counters.rateLimited++;
  }

  /** Find devices silent for too long. Call every few seconds. */
  sweep(now: number): HealthTransition[] {
    const out: HealthTransition[] = [];
    for (const s of this.states.values()) {
      const limitMs = this.missedHeartbeats * s.entry.device.heartbeatSeconds * 1000;
      if (s.online === true && s.lastSeen !== null && now - s.lastSeen > limitMs) {
        s.online = false;
        s.declaredBy = 'edge';
        out.push({ entry: s.entry, type: 'offline', reason: 'heartbeat-missed', silentS: Math.round((now - s.lastSeen) / 1000) });
      } else if (s.online === null && now - this.startedAt > limitMs) {
        s.online = false;
        s.declaredBy = 'edge';
        out.push({ entry: s.entry, type: 'offline', reason: 'never-seen', silentS: Math.round((now - this.startedAt) / 1000) });
      }
    }
    return out;
  }

  view(id: string): DeviceHealthView | undefined {
    const s = this.states.get(id);
    if (!s) return undefined;
    const d = s.entry.device;
    return {
      id: d.id, compound: d.compound, kind: d.kind, profile: d.profile,
      ...(d.zone !== undefined ? { zone: d.zone } : {}),
      heartbeatSeconds: d.heartbeatSeconds, online: s.online, connected: s.connected, lastSeen: s.lastSeen,
      lastEvent: s.lastEvent, lastError: s.lastError, clock: { ...s.clock }, counters: { ...s.counters },
    };
  }

  list(): DeviceHealthView[] {
    const out: DeviceHealthView[] = [];
    for (const id of this.states.keys()) out.push(this.view(id) as DeviceHealthView);
    return out;
  }

  /** Devices known to be offline (not those unheard-of since the start). */
  offlineCount(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.online === false) n++;
    return n;
  }

  clockSuspectDevices(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.clock.suspect) n++;
    return n;
  }

  /** Online devices / configured devices per compound (the hub's device online rate input). */
  onlineByCompound(): Map<string, { online: number; total: number }> {
    const m = new Map<string, { online: number; total: number }>();
    for (const s of this.states.values()) {
      const c = m.get(s.entry.device.compound) ?? { online: 0, total: 0 };
      c.total++;
      if (s.online === true) c.online++;
      m.set(s.entry.device.compound, c);
    }
    return m;
  }
}
