import { migrateSqlite } from '../store/sqliteMigrate.ts';
import type { Event } from '../../protocol/event.ts';
import type { CompoundRow, DeviceRow, StateDb } from '../store/stateDb.ts';
import { SIMPLE_POLICY as P, starsFor } from './policy.ts';
import type { CompoundRating, RatingEngine } from './types.ts';

interface CompoundState {
  id: string;
  name: string;
  district: string;
  households: number;
  /** Decayed alarm sum at `alarmAt` (before normalising per 1,000 households). */
  alarmR: number;
  alarmAt: number;
  updatedAt: number;
  /** Indexes into the device arrays. */
  devices: number[];
}

/** Caps on compounds/devices learned from events rather than from the registered city. */
const MAX_COMPOUNDS = 20_000;
const MAX_DEVICES = 400_000;

/**
 * A first, simple safety index (see rating/policy.ts): real-time, in-memory aggregates persisted
 * periodically. Devices live in flat typed arrays, not objects: 100,000 devices cost a few MB.
 */
export class SimpleRating implements RatingEngine {
  private readonly compounds = new Map<string, CompoundState>();
  private readonly deviceIdx = new Map<string, number>();
  private deviceIds: string[] = [];
  private lastSeen = new Float64Array(1024);
  private offline = new Uint8Array(1024);
  private hbMs = new Float64Array(1024);
  private readonly dirtyCompounds = new Set<string>();
  private readonly dirtyDevices = new Set<number>();
  /** Learned from events, written with the next persist (never a SQLite write on the ingest path). */
  private learnedCompounds: CompoundRow[] = [];
  private learnedDevices: DeviceRow[] = [];

  /**
   * `learn`: register compounds/devices first seen in events. On in dev mode (no city given); with a
   * registered city an unknown compound id is more likely a typo at an edge than a new compound, and
   * must not appear on the public list with five stars.
   */
  constructor(
    private readonly state: StateDb,
    private readonly now: () => number = Date.now,
    private readonly learnUnknown = true,
  ) {
    migrateSqlite(state.db);
    for (const c of state.compounds()) {
      this.compounds.set(c.id, { id: c.id, name: c.name, district: c.district, households: c.households, alarmR: 0, alarmAt: 0, updatedAt: 0, devices: [] });
    }
    for (const d of state.devices()) this.addDevice(d.id, d.compound, d.heartbeat_s * 1000);
    for (const r of state.db.prepare<[], { id: string; alarm_r: number; alarm_at: number; updated_at: number }>('SELECT * FROM rating_compound').iterate()) {
      const c = this.compounds.get(r.id);
      if (c) Object.assign(c, { alarmR: r.alarm_r, alarmAt: r.alarm_at, updatedAt: r.updated_at });
    }
    for (const r of state.db.prepare<[], { id: string; last_seen: number; offline: number }>('SELECT * FROM rating_device').iterate()) {
      const i = this.deviceIdx.get(r.id);
      if (i !== undefined) {
        this.lastSeen[i] = r.last_seen;
        this.offline[i] = r.offline;
      }
    }
  }

  private addDevice(id: string, compound: string, hbMs: number): number {
    const existing = this.deviceIdx.get(id);
    if (existing !== undefined) return existing;
    const i = this.deviceIds.length;
    if (i >= this.lastSeen.length) {
      const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.lastSeen = grow(this.lastSeen, (n) => new Float64Array(n));
      this.offline = grow(this.offline, (n) => new Uint8Array(n));
      this.hbMs = grow(this.hbMs, (n) => new Float64Array(n));
    }
    this.deviceIds.push(id);
    this.deviceIdx.set(id, i);
    this.hbMs[i] = hbMs;
    this.compounds.get(compound)?.devices.push(i);
    return i;
  }

  /** Events for compounds/devices the city didn't list (dev mode) register them, within caps. */
  private learn(e: Event): CompoundState | undefined {
    let c = this.compounds.get(e.compound);
    if (!this.learnUnknown) return c;
    if (!c) {
      if (this.compounds.size >= MAX_COMPOUNDS) return undefined;
      c = { id: e.compound, name: e.compound, district: e.district, households: P.householdsFloor, alarmR: 0, alarmAt: 0, updatedAt: 0, devices: [] };
      this.compounds.set(c.id, c);
      this.learnedCompounds.push({ id: c.id, name: c.name, district: c.district, households: c.households, lat: null, lon: null });
    }
    if (!this.deviceIdx.has(e.device) && this.deviceIds.length < MAX_DEVICES) {
      this.addDevice(e.device, e.compound, P.defaultHeartbeatS * 1000);
      this.learnedDevices.push({ id: e.device, compound: e.compound, kind: e.kind, profile: null, heartbeat_s: P.defaultHeartbeatS });
    }
    return c;
  }

  onEvents(events: readonly Event[]): void {
    const now = this.now();
    for (const e of events) {
      const c = this.learn(e);
      if (!c) continue;
      const i = this.deviceIdx.get(e.device);
      if (i !== undefined) {
        const t = Math.min(e.deviceTime, now);
        if (e.type === 'offline') {
          if (t >= this.lastSeen[i]!) this.offline[i] = 1;
        } else if (t >= this.lastSeen[i]!) {
          this.offline[i] = 0;
        }
        if (t > this.lastSeen[i]!) this.lastSeen[i] = t;
        this.dirtyDevices.add(i);
      }
      const w = P.alarmWeights[e.type];
      if (w !== undefined && e.attributes['origin'] !== 'edge') {
        const t = Math.min(e.deviceTime, now);
        c.alarmR = this.decayed(c, now) + w * Math.pow(2, -(now - t) / P.alarmHalfLifeMs);
        c.alarmAt = now;
        c.updatedAt = now;
        this.dirtyCompounds.add(c.id);
      } else if (e.type === 'offline' || e.type === 'online') {
        c.updatedAt = now;
        this.dirtyCompounds.add(c.id);
      }
    }
  }

  private decayed(c: CompoundState, now: number): number {
    return c.alarmR === 0 ? 0 : c.alarmR * Math.pow(2, -(now - c.alarmAt) / P.alarmHalfLifeMs);
  }

  /** Share of heard-from devices that are online; undefined when none has been heard yet. */
  private onlineRate(c: CompoundState, now: number): number | undefined {
    let known = 0;
    let online = 0;
    for (const i of c.devices) {
      const seen = this.lastSeen[i]!;
      if (seen === 0) continue;
      known++;
      if (this.offline[i] === 0 && now - seen <= P.missedHeartbeats * this.hbMs[i]!) online++;
    }
    return known === 0 ? undefined : online / known;
  }

  private rate(c: CompoundState, now: number): CompoundRating {
    const perK = Math.max(c.households, P.householdsFloor) / 1000;
    const R = this.decayed(c, now) / perK;
    const iot = 100 * Math.exp(-R / P.iotTau);
    const rate = this.onlineRate(c, now);
    const { zeroAt, fullAt } = P.online;
    const online = rate === undefined ? 100 : Math.max(0, Math.min(100, ((rate - zeroAt) / (fullAt - zeroAt)) * 100));
    const w = P.weights;
    const index = Math.round((w.crime * 100 + w.other * 100 + w.survey * 100 + w.iot * iot + w.online * online) * 10) / 10;
    return {
      id: c.id,
      name: c.name,
      district: c.district,
      households: c.households,
      index,
      stars: starsFor(index, rate),
      updatedAt: new Date(c.updatedAt || now).toISOString(),
      detail: {
        engine: 'simple',
        subScores: { crime: 100, other: 100, survey: 100, iot: Math.round(iot * 10) / 10, online: Math.round(online * 10) / 10 },
        onlineRate: rate ?? null,
        devices: c.devices.length,
        alarmLoadPer1000Households: Math.round(R * 1000) / 1000,
      },
    };
  }

  get(id: string): CompoundRating | undefined {
    const c = this.compounds.get(id);
    return c ? this.rate(c, this.now()) : undefined;
  }

  list(): CompoundRating[] {
    const now = this.now();
    return [...this.compounds.values()].map((c) => this.rate(c, now));
  }

  persist(): void {
    this.state.addLearned(this.learnedCompounds, this.learnedDevices);
    this.learnedCompounds = [];
    this.learnedDevices = [];
    if (this.dirtyCompounds.size === 0 && this.dirtyDevices.size === 0) return;
    const db = this.state.db;
    const pc = db.prepare<[string, number, number, number]>('INSERT OR REPLACE INTO rating_compound (id, alarm_r, alarm_at, updated_at) VALUES (?, ?, ?, ?)');
    const pd = db.prepare<[string, number, number]>('INSERT OR REPLACE INTO rating_device (id, last_seen, offline) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (const id of this.dirtyCompounds) {
        const c = this.compounds.get(id);
        if (c) pc.run(c.id, c.alarmR, c.alarmAt, c.updatedAt);
      }
      for (const i of this.dirtyDevices) pd.run(this.deviceIds[i]!, this.lastSeen[i]!, this.offline[i]!);
    })();
    this.dirtyCompounds.clear();
    this.dirtyDevices.clear();
  }

  close(): void {
    this.persist();
  }
}
