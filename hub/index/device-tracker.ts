import { migrateSqlite } from '../store/sqliteMigrate.ts';
import type { Db } from '../../common/sqlite.ts';

interface DeviceState {
  compound: string;
  heartbeatMs: number;
  lastSeen: number;
  offline: boolean;
}

/** A device counts as online when heard within this many heartbeat intervals. */
export const MISSED_HEARTBEATS = 3;

/**
 * Device online rate per compound, from the events the hub accepts. A device never heard from is
 * not counted (it may not be installed yet); a compound with none heard has no rate (null), and
 * the online sub-score then leaves the index.
 */
export class DeviceTracker {
  private readonly devices = new Map<string, DeviceState>();
  private readonly byCompound = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();

  constructor(private readonly db: Db) {
    migrateSqlite(db);
  }

  register(id: string, compound: string, heartbeatSeconds: number): void {
    if (this.devices.has(id)) return;
    this.devices.set(id, { compound, heartbeatMs: heartbeatSeconds * 1000, lastSeen: 0, offline: false });
    let set = this.byCompound.get(compound);
    if (!set) this.byCompound.set(compound, (set = new Set()));
    set.add(id);
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
    if (!this.devices.has(id)) this.register(id, compound, defaultHeartbeatS);
    const d = this.devices.get(id);
    if (!d || at < d.lastSeen) return false;
    const offline = type === 'offline';
    const changed = d.lastSeen === 0 || d.offline !== offline || at - d.lastSeen > MISSED_HEARTBEATS * d.heartbeatMs;
    d.lastSeen = at;
    d.offline = offline;
    this.dirty.add(id);
    return changed;
  }

  onlineRate(compound: string, now: number): number | null {
    const ids = this.byCompound.get(compound);
    if (!ids) return null;
    let known = 0;
    let online = 0;
    for (const id of ids) {
      const d = this.devices.get(id);
      if (!d || d.lastSeen === 0) continue;
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
    if (this.dirty.size === 0) return;
    const put = this.db.prepare('INSERT OR REPLACE INTO index_device (id, last_seen, offline) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const id of this.dirty) {
        const d = this.devices.get(id);
        if (d) put.run(id, d.lastSeen, d.offline ? 1 : 0);
      }
    })();
    this.dirty.clear();
  }
}
