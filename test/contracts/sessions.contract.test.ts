import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import { PgSessionStore } from '../../hub/web/console/session-pg.ts';
import { SqliteSessionStore } from '../../hub/web/console/session-sqlite.ts';
import { MemorySessionStore, type SessionStore } from '../../hub/web/console/session-store.ts';
import { ConsoleSessions, SESSION_DEFAULTS } from '../../hub/web/console/sessions.ts';
import { tempDir } from '../hub/helpers.ts';

/**
 * ONE contract for the console's session store, run against memory, the embedded hub's state.db
 * (SQLite) and PostgreSQL (cluster workers). `reopen` is a new store object on the same backing
 * (a restarted hub or another worker); memory's is the same object (it is lost on restart, by design).
 * `raw` reads every stored row: what a stolen copy of the table would show.
 */
interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  store(): SessionStore;
  /** Another store object on the same backing; memory's is the same object (two apps, one process). */
  reopen(): SessionStore;
  raw(): Promise<string>;
}

function memoryBackend(): Backend {
  const s = new MemorySessionStore();
  return { name: 'memory', setup: async () => {}, teardown: async () => {}, store: () => s, reopen: () => s, raw: async () => JSON.stringify([...(s as unknown as { rows: Map<string, unknown> }).rows]) };
}

function sqliteBackend(): Backend {
  let file = '';
  const dbs: StateDb[] = [];
  const open = (): SessionStore => {
    const db = new StateDb(file);
    dbs.push(db);
    return new SqliteSessionStore(db.db);
  };
  let first: SessionStore;
  return {
    name: 'SQLite (state.db)',
    async setup() {
      file = join(tempDir('safestar-sessions-'), 'state.db');
      first = open();
    },
    async teardown() {
      for (const d of dbs) d.db.close();
    },
    store: () => first,
    reopen: open,
    raw: async () => JSON.stringify(dbs[0]!.db.prepare('SELECT * FROM console_sessions').all()),
  };
}

function pgBackend(): Backend {
  let db: TempDatabase;
  const pools: pg.Pool[] = [];
  let first: SessionStore;
  const open = (): SessionStore => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(pool);
    return new PgSessionStore(pool);
  };
  return {
    name: 'PostgreSQL',
    async setup() {
      db = await createTempDatabase('ss_sessions');
      const p = new pg.Pool({ connectionString: db.url, max: 1 });
      await migratePg(p);
      await p.end();
      first = open();
    },
    async teardown() {
      for (const p of pools) await p.end();
      await db?.drop();
    },
    store: () => first,
    reopen: open,
    raw: async () => JSON.stringify((await pools[0]!.query('SELECT * FROM console_sessions')).rows),
  };
}

const T = Date.UTC(2027, 0, 1, 0, 0, 30);
const H8 = 8 * 3_600_000;

describe.each([memoryBackend(), sqliteBackend(), pgBackend()])('console session store contract: $name', (b) => {
  beforeAll(() => b.setup());
  afterAll(() => b.teardown());
  let t = T;
  const sessions = (store: SessionStore, max = SESSION_DEFAULTS.max) => new ConsoleSessions({ ttlMs: SESSION_DEFAULTS.ttlMs, max, now: () => t, store });

  it('stores only the hash of the session id, answers it until 8 h on the given clock, then forgets it', async () => {
    const s = sessions(b.store());
    const a = await s.create();
    expect(a.expiresAt).toBe(T + H8);
    const raw = await b.raw();
    // Neither the id nor the CSRF token is in the store; the id's SHA-256 is.
    expect(raw).not.toContain(a.id);
    expect(raw).not.toContain(a.csrf);
    expect(raw).toMatch(/[0-9a-f]{64}/);
    t = T + H8 - 1;
    expect(await s.get(a.id)).toEqual({ csrf: a.csrf, expiresAt: T + H8 });
    t = T + H8;
    expect(await s.get(a.id)).toBeUndefined();
    // Expired rows are pruned: the row is gone from the store, not only refused.
    expect(await b.raw()).not.toContain(String(T + H8));
    expect(await b.store().count(t)).toBe(0);
  });

  it('a logout deletes the session; an unknown or oversized id is no session', async () => {
    const s = sessions(b.store());
    const a = await s.create();
    const c = await s.create();
    expect(await s.size()).toBe(2);
    await s.revoke(a.id);
    expect(await s.get(a.id)).toBeUndefined();
    expect(await s.get(c.id)).toMatchObject({ csrf: c.csrf });
    expect(await s.get('x'.repeat(43))).toBeUndefined();
    expect(await s.get('x'.repeat(500))).toBeUndefined();
    expect(await s.get(undefined)).toBeUndefined();
    await s.revoke('never-issued');
    await s.revoke(c.id);
    expect(await s.size()).toBe(0);
  });

  it('a new login prunes expired rows and keeps at most `max` live ones (the oldest go first)', async () => {
    const s = sessions(b.store(), 3);
    const old = await s.create();
    t += H8 + 1;
    const live = [];
    for (let i = 0; i < 4; i++) {
      live.push(await s.create());
      t += 1;
    }
    expect(await b.raw()).not.toContain(String(old.expiresAt));
    expect(await s.size()).toBe(3);
    expect(await s.get(live[0]!.id)).toBeUndefined();
    for (const x of live.slice(1)) expect(await s.get(x.id)).toBeDefined();
    for (const x of live.slice(1)) await s.revoke(x.id);
  });

  it('a session outlives its sessions object (restart, another worker); a logout there ends it here', async () => {
    const a = await sessions(b.store()).create();
    const other = sessions(b.reopen());
    expect(await other.get(a.id)).toEqual({ csrf: a.csrf, expiresAt: a.expiresAt });
    await other.revoke(a.id);
    expect(await sessions(b.store()).get(a.id)).toBeUndefined();
  });
});
