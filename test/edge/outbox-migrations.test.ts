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
      expect(ob.write([{ life: false, at: 3000, body: '{}' }], [])).toBe(0); // none dropped
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
    expect(() => new Outbox(join(d, 'b.sqlite'), { maxEvents: 10 })).toThrow(new RegExp(`^SS_EDGE_SCHEMA_NEWER: .*b\\.sqlite is at schema version ${EDGE_DB_MIGRATIONS.length + 1}; this build knows ${EDGE_DB_MIGRATIONS.length}`));

    const db = openDb(join(d, 'c.sqlite'));
    const broken = [...EDGE_DB_MIGRATIONS, { version: EDGE_DB_MIGRATIONS.length + 1, name: 'broken', up: 'CREATE TABLE t_new (x INTEGER); INSERT INTO no_such_table VALUES (1);' }];
    expect(() => migrateEdgeDb(db, broken)).toThrow(new RegExp(`^SS_EDGE_MIGRATION: .*migration ${EDGE_DB_MIGRATIONS.length + 1} \\(broken\\) failed and was rolled back`));
    expect(db.pragma('user_version', { simple: true })).toBe(EDGE_DB_MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't_new'").get()).toEqual({ n: 0 });
    expect(() => migrateEdgeDb(db, [EDGE_DB_MIGRATIONS[1]!])).toThrow(/^SS_EDGE_MIGRATION: .*numbered 1, 2, 3/);
    db.close();
  });

  it('step 4 moves a schema-3 outbox (the build before issue 14\'s split) into the class tables, rows and seq counter kept', () => {
    const file = join(dir(), 'outbox.sqlite');
    const old = openDb(file);
    expect(migrateEdgeDb(old, EDGE_DB_MIGRATIONS.slice(0, 3))).toBe(3);
    const ins = old.prepare('INSERT INTO outbox (id, life, at, body) VALUES (?, ?, ?, ?)');
    for (let i = 1; i <= 40; i++) ins.run(`e${i}`, i % 7 === 0 ? 1 : 0, 5000 + i, JSON.stringify({ id: `e${i}`, n: i }));
    // Acked rows at both ends: the oldest (1..3) and the newest (36..40). AUTOINCREMENT never
    // handed 36..40 out again; the split outbox must not either.
    old.prepare('DELETE FROM outbox WHERE seq <= 3 OR seq > 35').run();
    old.prepare("INSERT INTO meta (k, v) VALUES ('boot', 3)").run();
    old.close();

    const ob = new Outbox(file, { maxEvents: 1000 });
    expect(ob.db.pragma('user_version', { simple: true })).toBe(EDGE_DB_MIGRATIONS.length);
    expect(ob.boot).toBe(4);
    expect(ob.depth()).toBe(32);
    const lifeSeqs = [7, 14, 21, 28, 35];
    const rows = ob.next(0, 0, 100);
    // Life-safety first, then the rest, each oldest first, bodies as stored.
    expect(rows.map((r) => r.seq)).toEqual([...lifeSeqs, ...Array.from({ length: 32 }, (_, i) => i + 4).filter((q) => !lifeSeqs.includes(q))]);
    expect(rows.every((r) => r.life === lifeSeqs.includes(r.seq) && r.body === JSON.stringify({ id: `e${r.seq}`, n: r.seq }))).toBe(true);
    expect(ob.oldestAt()).toBe(5004);
    // No secondary index, no id column; the view shows both classes.
    const names = (ob.db.prepare("SELECT type, name FROM sqlite_master WHERE name LIKE 'outbox%' ORDER BY name").all() as { type: string; name: string }[]);
    expect(names).toEqual([{ type: 'view', name: 'outbox' }, { type: 'table', name: 'outbox_life' }, { type: 'table', name: 'outbox_normal' }]);
    expect(ob.db.prepare('SELECT COUNT(*) AS n, SUM(life) AS l FROM outbox').get()).toEqual({ n: 32, l: 5 });
    expect(ob.write([{ life: false, at: 6000, body: '{"n":"a"}' }, { life: true, at: 6001, body: '{"n":"b"}' }], [])).toBe(0);
    expect(ob.next(35, 35, 10).map((r) => [r.seq, r.life])).toEqual([[42, true], [41, false]]);
    ob.close();
  });

  it('never hands out a seq again, also after every row was acked and the edge restarted', () => {
    const file = join(dir(), 'outbox.sqlite');
    const a = new Outbox(file, { maxEvents: 1000 });
    a.write(Array.from({ length: 10 }, (_, i) => ({ life: i === 9, at: 7000 + i, body: `{"i":${i}}` })), []);
    expect(a.remove(a.next(0, 0, 100))).toBe(10);
    expect(a.depth()).toBe(0);
    a.close();
    const b = new Outbox(file, { maxEvents: 1000 });
    expect(b.depth()).toBe(0);
    expect(b.oldestAt()).toBeUndefined();
    b.write([{ life: true, at: 8000, body: '{}' }], []);
    expect(b.next(0, 0, 10).map((r) => r.seq)).toEqual([11]);
    b.close();
  });
});
