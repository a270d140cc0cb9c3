import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../common/sqlite.ts';
import { CaseStore } from '../../hub/cases/store.ts';
import { INGEST_MIGRATIONS, STATE_MIGRATIONS } from '../../hub/store/migrations/sqlite.ts';
import { IngestDb } from '../../hub/store/ingestDb.ts';
import { migrateSqlite } from '../../hub/store/sqliteMigrate.ts';
import { StateDb } from '../../hub/store/stateDb.ts';

/** The schema a build before the numbered migrations wrote (user_version 0, no posted_by column). */
const OLD_STATE = `
CREATE TABLE compounds (id TEXT PRIMARY KEY, name TEXT NOT NULL, district TEXT NOT NULL, households INTEGER NOT NULL, lat REAL, lon REAL) WITHOUT ROWID;
CREATE TABLE devices (id TEXT PRIMARY KEY, compound TEXT NOT NULL, kind TEXT NOT NULL, profile TEXT, heartbeat_s INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX devices_compound ON devices(compound);
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE index_cases (
  id TEXT PRIMARY KEY, department TEXT NOT NULL, category TEXT NOT NULL, compound TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, registered_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
  status TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX index_cases_compound ON index_cases(compound);
INSERT INTO compounds VALUES ('c1', 'Old Compound', 'd1', 300, 24.5, 118.1);
INSERT INTO index_cases VALUES ('case-old', 'police', 'burglary', 'c1', 1000, 2000, 3000, 'registered', 1, 3000);
`;
const OLD_INGEST = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE queue (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, lines TEXT NOT NULL);
CREATE TABLE seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX seen_at ON seen(at);
CREATE TABLE deadletters (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, edge TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL, raw TEXT NOT NULL);
INSERT INTO queue (n, lines) VALUES (1, 'events,compound=c1 id="e1" 1');
INSERT INTO seen VALUES ('e1', 5);
`;

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ss-sqlmig-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const version = (file: string): number => {
  const db = openDb(file);
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
};

describe('SQLite schema migrations (numbered, PRAGMA user_version)', () => {
  it('a new file gets every table at the newest version', () => {
    const file = join(tmp(), 'state.db');
    const s = new StateDb(file);
    const tables = s.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
    s.close();
    expect(version(file)).toBe(STATE_MIGRATIONS.length);
    for (const t of ['compounds', 'devices', 'kv', 'index_cases', 'index_rating', 'index_audit', 'index_history_queue', 'index_device', 'rating_compound', 'web_reports', 'web_checkins']) expect(tables).toContain(t);
  });

  it('an old state database is migrated in place: rows kept, posted_by added, obsolete index dropped', () => {
    const file = join(tmp(), 'state.db');
    const old = openDb(file);
    old.exec(OLD_STATE);
    old.close();
    expect(version(file)).toBe(0);
    const s = new StateDb(file);
    expect(s.compounds().map((c) => c.id)).toEqual(['c1']);
    const cases = new CaseStore(s.db);
    expect(cases.getCase('case-old')).toMatchObject({ id: 'case-old', compound: 'c1', postedBy: 'police', version: 1 });
    const cols = s.db.prepare<[], { name: string }>('PRAGMA table_info(index_cases)').all().map((c) => c.name);
    expect(cols).toContain('posted_by');
    const indexes = s.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index'").all().map((r) => r.name);
    expect(indexes).not.toContain('index_cases_compound');
    expect(indexes).toContain('index_cases_compound_time');
    s.close();
    expect(version(file)).toBe(STATE_MIGRATIONS.length);
    // Opening again changes nothing.
    const again = new StateDb(file);
    expect(again.compounds()).toHaveLength(1);
    again.close();
  });

  it('a file from the build that already had posted_by (but no version) is adopted', () => {
    const file = join(tmp(), 'state.db');
    const old = openDb(file);
    old.exec(OLD_STATE);
    old.exec("ALTER TABLE index_cases ADD COLUMN posted_by TEXT NOT NULL DEFAULT ''; UPDATE index_cases SET posted_by = 'court'");
    old.close();
    const s = new StateDb(file);
    expect(new CaseStore(s.db).getCase('case-old')?.postedBy).toBe('court');
    s.close();
    expect(version(file)).toBe(STATE_MIGRATIONS.length);
  });

  it('an old ingest database keeps its queue and dedupe ids', () => {
    const file = join(tmp(), 'ingest.db');
    const old = openDb(file);
    old.exec(OLD_INGEST);
    old.close();
    const ing = new IngestDb(file);
    expect(ing.queueDepth()).toBe(1);
    const indexes = ing.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index'").all().map((r) => r.name);
    expect(indexes).not.toContain('seen_at');
    ing.close();
    expect(version(file)).toBe(INGEST_MIGRATIONS.length);
  });

  it('refuses a file newer than this build, and rolls a failing step back whole', () => {
    const file = join(tmp(), 'state.db');
    const db = openDb(file);
    migrateSqlite(db);
    const bad = [...STATE_MIGRATIONS, { version: STATE_MIGRATIONS.length + 1, name: 'broken', up: 'CREATE TABLE t_new (x INTEGER); SELECT no_such_function();' }];
    expect(() => migrateSqlite(db, bad)).toThrow(/SS_HUB_MIGRATION.*broken/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't_new'").get()).toBeUndefined();
    expect(db.pragma('user_version', { simple: true })).toBe(STATE_MIGRATIONS.length);
    db.pragma('user_version = 99');
    expect(() => migrateSqlite(db)).toThrow(/SS_HUB_SCHEMA_NEWER/);
    expect(() => migrateSqlite(db, [{ version: 2, name: 'gap', up: '' }])).toThrow(/SS_HUB_MIGRATION/);
    db.close();
  });
});
