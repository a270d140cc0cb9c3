import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../common/sqlite.ts';
import { EDGE_DB_MIGRATIONS, migrateEdgeDb } from '../../edge/outbox/migrations.ts';
import { Outbox } from '../../edge/outbox/outbox.ts';
import { createDeadLetterSeal } from '../../edge/pipeline/deadletter-seal.ts';
import { SqliteFeatureStateStore } from '../../edge/scoring/feature-state-store.ts';
import { tempDir } from './helpers.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

const dir = (): string => {
  const t = tempDir('safestar-outbox-mig-');
  cleanups.push(t.cleanup);
  return t.dir;
};

/**
 * An outbox file exactly as the builds before numbered migrations wrote it (user_version 0): the
 * ad-hoc CREATE TABLE IF NOT EXISTS of edge/outbox/outbox.ts, optionally with the dead-letter
 * columns issue 12 added by ALTER, and the scorer's table.
 */
function oldOutbox(file: string, o: { deadLetterColumns: boolean; scorer: boolean }): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, life INTEGER NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS outbox_life ON outbox (life, seq);
    CREATE TABLE IF NOT EXISTS deadletters (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, device TEXT NOT NULL, topic TEXT NOT NULL,
      code TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
  `);
  if (o.deadLetterColumns) {
    db.exec(`ALTER TABLE deadletters ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE deadletters ADD COLUMN masked TEXT NOT NULL DEFAULT '';
      ALTER TABLE deadletters ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;`);
  }
  if (o.scorer) {
    db.exec(`CREATE TABLE IF NOT EXISTS scorer_state (
      k TEXT PRIMARY KEY, version INTEGER NOT NULL, feature_version TEXT NOT NULL, saved_at INTEGER NOT NULL, body TEXT NOT NULL)`);
    db.prepare('INSERT INTO scorer_state VALUES (?, ?, ?, ?, ?)').run('features', 999, 'old-features', 1234, '{}');
  }
  const ins = db.prepare('INSERT INTO outbox (id, life, at, body) VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= 50; i++) ins.run(`e${i}`, i % 10 === 0 ? 1 : 0, 1000 + i, JSON.stringify({ id: `e${i}`, n: i }));
  db.prepare('DELETE FROM outbox WHERE seq <= 5').run(); // acked rows gone: seqs must not be reused
  const dl = o.deadLetterColumns
    ? db.prepare("INSERT INTO deadletters (at, device, topic, code, reason, payload, size, masked, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, '', 0)")
    : db.prepare('INSERT INTO deadletters (at, device, topic, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)');
  const row = [2000, 'd1', 'ss/v1/dev/c1/fence/d1/events', 'SS_CODEC_JSON', 'not JSON', Buffer.from('{card 3102837465')];
  dl.run(...(o.deadLetterColumns ? [...row, 16] : row));
  db.prepare("INSERT INTO meta (k, v) VALUES ('boot', 7)").run();
  expect(db.pragma('user_version', { simple: true })).toBe(0);
  db.close();
}

describe('edge database: numbered migrations (PRAGMA user_version, the runner shared with the hub)', () => {
  for (const variant of [{ deadLetterColumns: false, scorer: false }, { deadLetterColumns: true, scorer: true }]) {
    it(`upgrades an outbox of the old schema in place without losing rows (${variant.deadLetterColumns ? 'after' : 'before'} issue 12's columns)`, () => {
      const file = join(dir(), 'outbox.sqlite');
      oldOutbox(file, variant);
      const seal = createDeadLetterSeal('test-secret-0123456789');
      const ob = new Outbox(file, { maxEvents: 1000, deadLetterSeal: seal });
      expect(ob.db.pragma('user_version', { simple: true })).toBe(EDGE_DB_MIGRATIONS.length);
      expect(ob.boot).toBe(8); // the boot counter carried on
      expect(ob.depth()).toBe(45);
      const rows = ob.next(0, 0, 100);
      expect(rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 45 }, (_, i) => i + 6));
      expect(rows.find((r) => r.seq === 10)).toMatchObject({ life: true, body: JSON.stringify({ id: 'e10', n: 10 }) });
      // New rows continue after the old sequence (AUTOINCREMENT kept), never reusing an acked seq.
      expect(ob.write([{ id: 'new', life: false, at: 3000, body: '{}' }], [])).toBe(0); // none dropped
      expect(ob.maxSeq()).toBe(51);
      const dls = ob.deadLetters();
      expect(dls).toHaveLength(1);
      expect(dls[0]).toMatchObject({ device: 'd1', code: 'SS_CODEC_JSON', size: 16 });
      expect(dls[0]!.payloadMasked).not.toContain('3102837465'); // sealed on the way, as before
      ob.close();
      // The scorer's table is a step of the same file's schema; its row survived.
      const store = new SqliteFeatureStateStore(file);
      expect(store.load()?.savedAt).toBe(variant.scorer ? 1234 : undefined);
      store.close();
      // Reopening a current file runs nothing and keeps everything.
      const again = new Outbox(file, { maxEvents: 1000, deadLetterSeal: seal });
      expect(again.depth()).toBe(46);
      expect(again.boot).toBe(9);
      again.close();
    });
  }

  it('a fresh file gets the whole schema from either opener; a newer file is refused; a failing step is rolled back', () => {
    const d = dir();
    const fresh = new SqliteFeatureStateStore(join(d, 'a.sqlite'));
    fresh.close();
    const ob = new Outbox(join(d, 'a.sqlite'), { maxEvents: 10 });
    expect(ob.db.pragma('user_version', { simple: true })).toBe(EDGE_DB_MIGRATIONS.length);
    ob.close();

    const newer = openDb(join(d, 'b.sqlite'));
    newer.pragma(`user_version = ${EDGE_DB_MIGRATIONS.length + 1}`);
    newer.close();
    expect(() => new Outbox(join(d, 'b.sqlite'), { maxEvents: 10 })).toThrow(/^SS_EDGE_SCHEMA_NEWER: .*b\.sqlite is at schema version 4; this build knows 3/);

    const db = openDb(join(d, 'c.sqlite'));
    const broken = [...EDGE_DB_MIGRATIONS, { version: EDGE_DB_MIGRATIONS.length + 1, name: 'broken', up: 'CREATE TABLE t4 (x INTEGER); INSERT INTO no_such_table VALUES (1);' }];
    expect(() => migrateEdgeDb(db, broken)).toThrow(/^SS_EDGE_MIGRATION: .*migration 4 \(broken\) failed and was rolled back/);
    expect(db.pragma('user_version', { simple: true })).toBe(EDGE_DB_MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't4'").get()).toEqual({ n: 0 });
    expect(() => migrateEdgeDb(db, [EDGE_DB_MIGRATIONS[1]!])).toThrow(/^SS_EDGE_MIGRATION: .*numbered 1, 2, 3/);
    db.close();
  });
});
