import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../common/sqlite.ts';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { PgWebStore } from '../../hub/web/pg-store.ts';
import { SqliteWebStore, type WebStore } from '../../hub/web/store.ts';
import { tempDir } from '../hub/helpers.ts';

/**
 * ONE contract for the public pages' store (residents' reports, officers' check-ins), run against
 * the embedded hub's SQLite and cluster mode's PostgreSQL. "Reopen" is a new store object on the
 * same file / database; `small` is a store that keeps only 50 rows per table (pruning).
 */
interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  open(): WebStore;
  small(): WebStore;
  /** The columns a table keeps (what could hold personal data). */
  columns(table: 'web_reports' | 'web_checkins'): Promise<string[]>;
}

function sqliteBackend(): Backend {
  let dir = '';
  const dbs: Db[] = [];
  const db = (file: string): Db => {
    const d = openDb(join(dir, file));
    dbs.push(d);
    return d;
  };
  return {
    name: 'SQLite',
    async setup() {
      dir = tempDir('safestar-webstore-');
    },
    async teardown() {
      for (const d of dbs) d.close();
    },
    open: () => new SqliteWebStore(db('state.db')),
    small: () => new SqliteWebStore(db('small.db'), 50),
    async columns(table) {
      return (db('state.db').prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name).sort();
    },
  };
}

function pgBackend(): Backend {
  let db: TempDatabase;
  let small: TempDatabase;
  let pool: pg.Pool;
  let smallPool: pg.Pool;
  return {
    name: 'PostgreSQL',
    async setup() {
      [db, small] = await Promise.all([createTempDatabase('ss_webstore'), createTempDatabase('ss_webstore_small')]);
      pool = new pg.Pool({ connectionString: db.url, max: 2 });
      smallPool = new pg.Pool({ connectionString: small.url, max: 2 });
      await Promise.all([migratePg(pool), migratePg(smallPool)]);
    },
    async teardown() {
      await pool?.end();
      await smallPool?.end();
      await db?.drop();
      await small?.drop();
    },
    open: () => new PgWebStore(pool),
    small: () => new PgWebStore(smallPool, 50),
    async columns(table) {
      return (await pool.query<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1', [table])).rows.map((r) => r.c).sort();
    },
  };
}

const T = Date.UTC(2027, 0, 5, 3, 0, 0);
const DAY = 86_400_000;

describe.each([sqliteBackend(), pgBackend()])('web store contract: $name', (b) => {
  beforeAll(() => b.setup(), 60_000);
  afterAll(() => b.teardown());

  it('nothing until written: no reports, no check-ins, no counts', async () => {
    const s = b.open();
    expect(await s.reports('c1', 10)).toEqual([]);
    expect(await s.checkins('c1', 10)).toEqual([]);
    expect(await s.checkinCounts('c1', 0)).toEqual({});
  });

  it('reports: stored as given (time as ISO), newest first per compound, limited, and they survive a reopen', async () => {
    const s = b.open();
    const r1 = await s.addReport('c1', 'security', 'the back gate is left open at night', T);
    const r2 = await s.addReport('c1', 'fire', '消防通道被占用', T + 1000);
    await s.addReport('c2', 'other', 'a report elsewhere', T + 2000);
    expect(r1).toEqual({ id: r1.id, compound: 'c1', category: 'security', text: 'the back gate is left open at night', at: new Date(T).toISOString() });
    expect(r2.id).toBeGreaterThan(r1.id);
    const again = b.open();
    expect(await again.reports('c1', 10)).toEqual([r2, r1]);
    expect(await again.reports('c1', 1)).toEqual([r2]);
    expect((await again.reports('c2', 10)).map((r) => r.text)).toEqual(['a report elsewhere']);
  });

  it('check-ins: the officer and department as given, newest first, counted by activity from `since` on (inclusive)', async () => {
    const s = b.open();
    const a = await s.addCheckin('c1', 'justice', 'badge 3301', 'mediation', T - 40 * DAY);
    const c = await s.addCheckin('c1', 'justice', 'badge 3301', 'mediation', T - 30 * DAY);
    const d = await s.addCheckin('c1', 'police', 'Officer Lin', 'legal-publicity', T);
    await s.addCheckin('c2', 'police', 'Officer Lin', 'service', T);
    expect(d).toEqual({ id: d.id, compound: 'c1', department: 'police', officer: 'Officer Lin', activity: 'legal-publicity', at: new Date(T).toISOString() });
    expect(await b.open().checkins('c1', 10)).toEqual([d, c, a]);
    expect(await b.open().checkins('c1', 2)).toEqual([d, c]);
    expect(await s.checkinCounts('c1', T - 30 * DAY)).toEqual({ mediation: 1, 'legal-publicity': 1 });
    expect(await s.checkinCounts('c1', T - 50 * DAY)).toEqual({ mediation: 2, 'legal-publicity': 1 });
    expect(await s.checkinCounts('c1', T + 1)).toEqual({});
    expect(await s.checkinCounts('c3', 0)).toEqual({});
  });

  it('keeps no identifier of the sender: only these columns exist', async () => {
    expect(await b.columns('web_reports')).toEqual(['at', 'category', 'compound', 'id', 'text']);
    expect(await b.columns('web_checkins')).toEqual(['activity', 'at', 'compound', 'department', 'id', 'officer']);
  });

  it('prunes the oldest rows past its limit, looking every 100 rows (a flood cannot fill the disk)', async () => {
    const s = b.small();
    for (let i = 1; i <= 99; i++) await s.addReport('c1', 'other', `r${i}`, T + i);
    expect((await s.reports('c1', 1000)).length).toBe(99);
    await s.addReport('c1', 'other', 'r100', T + 100);
    const left = await s.reports('c1', 1000);
    expect(left.length).toBe(50);
    expect(left[0]!.text).toBe('r100');
    expect(left.at(-1)!.text).toBe('r51');
    for (let i = 1; i <= 100; i++) await s.addCheckin('c1', 'police', 'badge 1', 'service', T + i);
    expect((await s.checkins('c1', 1000)).length).toBe(50);
    expect(await s.checkinCounts('c1', 0)).toEqual({ service: 50 });
  });
});
