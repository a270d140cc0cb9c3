import { migrateSqlite } from './sqliteMigrate.ts';
import type { City } from '../../protocol/city.ts';
import type { DeviceKind } from '../../protocol/devices.ts';
import { openDb, type Db } from '../../common/sqlite.ts';

export interface CompoundRow {
  id: string;
  name: string;
  district: string;
  households: number;
  lat: number | null;
  lon: number | null;
}

export interface DeviceRow {
  id: string;
  compound: string;
  kind: DeviceKind;
  profile: string | null;
  heartbeat_s: number;
}

/**
 * The hub's state store (compounds, devices, rating snapshots): a separate SQLite file from the
 * ingest queue so API reads and periodic snapshots never wait behind the ingest transaction.
 */
export class StateDb {
  readonly db: Db;

  constructor(file: string) {
    this.db = openDb(file);
    // Snapshots here are rebuilt from events if lost; NORMAL is still crash-safe in WAL mode.
    this.db.pragma('synchronous = NORMAL');
    migrateSqlite(this.db);
  }

  /** Register (upsert) a city's compounds and devices in one transaction. */
  registerCity(city: City): void {
    const c = this.db.prepare<[string, string, string, number, number, number]>(
      `INSERT INTO compounds (id, name, district, households, lat, lon) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name = excluded.name, district = excluded.district,
         households = excluded.households, lat = excluded.lat, lon = excluded.lon`,
    );
    const d = this.db.prepare<[string, string, string, string, number]>(
      `INSERT INTO devices (id, compound, kind, profile, heartbeat_s) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET compound = excluded.compound, kind = excluded.kind,
         profile = excluded.profile, heartbeat_s = excluded.heartbeat_s`,
    );
    this.db.transaction(() => {
      for (const cp of city.compounds) {
        c.run(cp.id, cp.name, cp.district, cp.households, cp.lat, cp.lon);
        for (const dv of cp.devices) d.run(dv.id, cp.id, dv.kind, dv.profile, dv.heartbeatSeconds);
      }
    })();
  }

  /** Add compounds/devices learned from events (dev mode) in one transaction; existing rows win. */
  addLearned(compounds: readonly CompoundRow[], devices: readonly DeviceRow[]): void {
    if (compounds.length === 0 && devices.length === 0) return;
    const c = this.db.prepare<[string, string, string, number, number | null, number | null]>(
      'INSERT OR IGNORE INTO compounds (id, name, district, households, lat, lon) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const d = this.db.prepare<[string, string, string, string | null, number]>('INSERT OR IGNORE INTO devices (id, compound, kind, profile, heartbeat_s) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of compounds) c.run(r.id, r.name, r.district, r.households, r.lat, r.lon);
      for (const r of devices) d.run(r.id, r.compound, r.kind, r.profile, r.heartbeat_s);
    })();
  }

  compounds(): CompoundRow[] {
    return this.db.prepare<[], CompoundRow>('SELECT * FROM compounds ORDER BY id').all();
  }

  /** Iterate devices without holding them all as objects at once (100,000 in a city). */
  *devices(): IterableIterator<DeviceRow> {
    yield* this.db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY compound, id').iterate();
  }

  getKv(key: string): string | undefined {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?').get(key)?.value;
  }

  setKv(key: string, value: string): void {
    this.db.prepare<[string, string]>('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
