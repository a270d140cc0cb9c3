import { migrateSqlite } from '../store/sqliteMigrate.ts';
import type { Db } from '../../common/sqlite.ts';

interface DeviceState {
  id: string;
  compound: string;
  heartbeatMs: number;
  lastSeen: number;
  offline: boolean;
  /** Changed since the last persist() (in `dirty` exactly when true). */
  dirty: boolean;
}

/** A device counts as online when heard within this many heartbeat intervals. */
export const MISSED_HEARTBEATS = 3;

/**
 * Device online rate per compound, from the events the hub accepts. A device never heard from is
 * not counted (it may not be installed yet); a compound with none heard has no rate (null), and
 * the online sub-score then leaves the index.
 * seen() runs for every accepted event on the hub's event loop: one map lookup, and a compound's
 * devices are held as their states (not ids), so onlineRate() walks them without lookups.
 */
export class DeviceTracker {
  private readonly devices = new Map<string, DeviceState>();
  private readonly byCompound = new Map<string, DeviceState[]>();
  private dirty: DeviceState[] = [];

  constructor(private readonly db: Db) {
    migrateSqlite(db);
  }

  register(id: string, compound: string, heartbeatSeconds: number): void {
    if (!this.devices.has(id)) this.add(id, compound, heartbeatSeconds);
  }

  private add(id: string, compound: string, heartbeatSeconds: number): DeviceState {
    const d: DeviceState = { id, compound, heartbeatMs: heartbeatSeconds * 1000, lastSeen: 0, offline: false, dirty: false };
    this.devices.set(id, d);
    const list = this.byCompound.get(compound);
    if (list) list.push(d);
    else this.byCompound.set(compound, [d]);
    return d;
  }

  /** Restore last-seen times saved by persist(). */
  load(): void {
    for (const r of this.db.prepare<[], { id: string; last_seen: number; offline: number }>('SELECT * FROM index_device').iterate()) {
      const d = this.devices.get(r.id);
      if (d) Object.assign(d, { lastSeen: r.last_seen, offline: r.offline === 1 });
    }
  }

  /**
   * An event from a device: any event proves it alive unless it says 'offline'. Out-of-order
   * events never move time back. Returns true when the event may change the compound's online
   * rate (first heard, back from offline or silence, or gone offline): only then is a re-rate due.
   */
  seen(id: string, compound: string, type: string, at: number, defaultHeartbeatS = 60): boolean {
    const d = this.devices.get(id) ?? this.add(id, compound, defaultHeartbeatS);
    if (at < d.lastSeen) return false;
    const offline = type === 'offline';
    const changed = d.lastSeen === 0 || d.offline !== offline || at - d.lastSeen > MISSED_HEARTBEATS * d.heartbeatMs;
    d.lastSeen = at;
    d.offline = offline;
    if (!d.dirty) {
      d.dirty = true;
      this.dirty.push(d);
    }
    return changed;
  }

  onlineRate(compound: string, now: number): number | null {
    const list = this.byCompound.get(compound);
    if (!list) return null;
    let known = 0;
    let online = 0;
    for (const d of list) {
      if (d.lastSeen === 0) continue;
      known++;
      if (!d.offline && now - d.lastSeen <= MISSED_HEARTBEATS * d.heartbeatMs) online++;
    }
    return known === 0 ? null : online / known;
  }

  /** Each device: never heard (lastSeen null), online, or offline (said so, or missed heartbeats). */
  status(now: number): { id: string; compound: string; lastSeen: number | null; online: boolean }[] {
    const out: { id: string; compound: string; lastSeen: number | null; online: boolean }[] = [];
    for (const [id, d] of this.devices) {
      const heard = d.lastSeen !== 0;
      out.push({ id, compound: d.compound, lastSeen: heard ? d.lastSeen : null, online: heard && !d.offline && now - d.lastSeen <= MISSED_HEARTBEATS * d.heartbeatMs });
    }
    return out;
  }

  /** Devices heard from at least once and now offline (said so, or silent past their heartbeats). */
  offlineCount(now: number): number {
    let n = 0;
    for (const d of this.devices.values()) if (d.lastSeen !== 0 && (d.offline || now - d.lastSeen > MISSED_HEARTBEATS * d.heartbeatMs)) n++;
    return n;
  }

  persist(): void {
    if (this.dirty.length === 0) return;
    const put = this.db.prepare('INSERT OR REPLACE INTO index_device (id, last_seen, offline) VALUES (?, ?, ?)');
    const rows = this.dirty;
    this.dirty = [];
    try {
      this.db.transaction(() => {
        for (const d of rows) put.run(d.id, d.lastSeen, d.offline ? 1 : 0);
      })();
    } catch (e) {
      // Not saved: still dirty, tried again by the next persist().
      this.dirty = rows.concat(this.dirty);
      throw e;
    }
    for (const d of rows) d.dirty = false;
  }
}
