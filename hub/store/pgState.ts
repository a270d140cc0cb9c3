import type pg from 'pg';
import type { City } from '../../protocol/city.ts';
import type { StateStore } from '../cluster/stores.ts';
import type { CompoundRow, DeviceRow } from './stateDb.ts';
import { inTransaction } from './pg-tx.ts';

/** Rows per multi-row INSERT / page: big enough to amortise round trips, far below the 65,535 bind limit. */
const PAGE = 1000;

/** StateDb's contract on PostgreSQL (cluster mode): compounds, devices, kv. */
export class PgStateStore implements StateStore {
  constructor(private readonly pool: pg.Pool) {}

  async registerCity(city: City): Promise<void> {
    const compounds: CompoundRow[] = city.compounds.map((c) => ({ id: c.id, name: c.name, district: c.district, households: c.households, lat: c.lat, lon: c.lon }));
    const devices: DeviceRow[] = city.compounds.flatMap((c) => c.devices.map((d) => ({ id: d.id, compound: c.id, kind: d.kind, profile: d.profile, heartbeat_s: d.heartbeatSeconds })));
    await this.upsert(compounds, devices, true);
    const d = city.districts;
    if (d.length > 0) {
      await this.pool.query('INSERT INTO districts (id, name) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO UPDATE SET name = excluded.name', [d.map((x) => x.id), d.map((x) => x.name)]);
    }
  }

  /** District id → name, as the city file listed them (cluster mode's pages and map). */
  async districtNames(): Promise<Map<string, string>> {
    return new Map((await this.pool.query<{ id: string; name: string }>('SELECT id, name FROM districts')).rows.map((r) => [r.id, r.name]));
  }

  async addLearned(compounds: readonly CompoundRow[], devices: readonly DeviceRow[]): Promise<void> {
    if (compounds.length === 0 && devices.length === 0) return;
    await this.upsert(compounds, devices, false);
  }

  private async upsert(compounds: readonly CompoundRow[], devices: readonly DeviceRow[], overwrite: boolean): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      for (let i = 0; i < compounds.length; i += PAGE) {
        const rows = compounds.slice(i, i + PAGE);
        // unnest() of column arrays: one statement per page, no SQL text built from values.
        await c.query(
          `INSERT INTO compounds (id, name, district, households, lat, lon)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[])
           ON CONFLICT (id) DO ${overwrite ? 'UPDATE SET name = excluded.name, district = excluded.district, households = excluded.households, lat = excluded.lat, lon = excluded.lon' : 'NOTHING'}`,
          [rows.map((r) => r.id), rows.map((r) => r.name), rows.map((r) => r.district), rows.map((r) => r.households), rows.map((r) => r.lat), rows.map((r) => r.lon)],
        );
      }
      for (let i = 0; i < devices.length; i += PAGE) {
        const rows = devices.slice(i, i + PAGE);
        await c.query(
          `INSERT INTO devices (id, compound, kind, profile, heartbeat_s)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
           ON CONFLICT (id) DO ${overwrite ? 'UPDATE SET compound = excluded.compound, kind = excluded.kind, profile = excluded.profile, heartbeat_s = excluded.heartbeat_s' : 'NOTHING'}`,
          [rows.map((r) => r.id), rows.map((r) => r.compound), rows.map((r) => r.kind), rows.map((r) => r.profile), rows.map((r) => r.heartbeat_s)],
        );
      }
    });
  }

  async compounds(): Promise<CompoundRow[]> {
    return (await this.pool.query<CompoundRow>('SELECT id, name, district, households, lat, lon FROM compounds ORDER BY id')).rows;
  }

  async *devices(): AsyncIterable<DeviceRow> {
    // Keyset pages on (compound, id): no server-side cursor to hold a connection between pages.
    let after: [string, string] = ['', ''];
    for (;;) {
      const r = await this.pool.query<DeviceRow>(
        'SELECT id, compound, kind, profile, heartbeat_s FROM devices WHERE (compound, id) > ($1, $2) ORDER BY compound, id LIMIT $3',
        [after[0], after[1], PAGE],
      );
      yield* r.rows;
      const last = r.rows.at(-1);
      if (!last || r.rows.length < PAGE) return;
      after = [last.compound, last.id];
    }
  }

  async getKv(key: string): Promise<string | undefined> {
    return (await this.pool.query<{ value: string }>('SELECT value FROM kv WHERE key = $1', [key])).rows[0]?.value;
  }

  async setKv(key: string, value: string): Promise<void> {
    await this.pool.query('INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /** The pool belongs to the caller (shared by the stores of one process). */
  async close(): Promise<void> {}
}
