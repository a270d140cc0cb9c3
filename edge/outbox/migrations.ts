import { runSqliteMigrations, sqliteColumns, type SqliteMigration } from '../../common/sqlite-migrate.ts';
import type { Db } from '../../common/sqlite.ts';
import { EdgeError } from '../errors.ts';

/**
 * The edge's SQLite file (`<dataDir>/outbox.sqlite`) as numbered migrations, run by the runner
 * the hub uses (common/sqlite-migrate.ts; PRAGMA user_version is the last step applied). One file,
 * one list: the outbox, its dead letters and the scorer's feature memory (edge/scoring) share it.
 * Never edit a step that shipped: add the next number.
 *
 * Steps 1–3 are the schema as it stood when migrations were introduced. A file written before
 * then is at user_version 0 but may already hold any of it (the old code created tables with IF
 * NOT EXISTS and added columns ad hoc), so these steps adopt what is there and keep every row.
 */
export const EDGE_DB_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'outbox, dead letters, meta',
    up: `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, life INTEGER NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_life ON outbox (life, seq);
CREATE TABLE IF NOT EXISTS deadletters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, device TEXT NOT NULL, topic TEXT NOT NULL,
  code TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
`,
  },
  {
    version: 2,
    name: 'dead letters: payload size, masked preview, sealed flag (issue 12)',
    up: (db: Db) => {
      const cols = new Set(sqliteColumns(db, 'deadletters'));
      if (!cols.has('size')) db.exec('ALTER TABLE deadletters ADD COLUMN size INTEGER NOT NULL DEFAULT 0');
      if (!cols.has('masked')) db.exec("ALTER TABLE deadletters ADD COLUMN masked TEXT NOT NULL DEFAULT ''");
      if (!cols.has('sealed')) db.exec('ALTER TABLE deadletters ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0');
    },
  },
  {
    version: 3,
    name: "scorer_state: the anomaly scorer's feature memory across restarts",
    up: `
CREATE TABLE IF NOT EXISTS scorer_state (
  k TEXT PRIMARY KEY, version INTEGER NOT NULL, feature_version TEXT NOT NULL, saved_at INTEGER NOT NULL, body TEXT NOT NULL);
`,
  },
  {
    // Issue 14: every insert into `outbox` also maintained the (life, seq) index and the
    // AUTOINCREMENT counter row, and stored the event id a second time (it is in the body; the
    // edge never reads it: the hub dedupes by id). One table per class, rowid = seq, needs no
    // secondary index: every read and delete is a seq range of one class. Seqs stay one counter
    // over both classes, never reused (the outbox records the highest in meta 'seq' with every
    // write: what AUTOINCREMENT's sqlite_sequence row did). `outbox` stays as a read-only view of
    // both, in the old column order without `id`, for tools and people reading the file.
    version: 4,
    name: 'outbox split into outbox_life / outbox_normal (rowid = seq, no index, no id column)',
    up: `
DROP INDEX IF EXISTS outbox_life;
CREATE TABLE outbox_life (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE outbox_normal (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
INSERT INTO outbox_life (seq, at, body) SELECT seq, at, body FROM outbox WHERE life = 1 ORDER BY seq;
INSERT INTO outbox_normal (seq, at, body) SELECT seq, at, body FROM outbox WHERE life = 0 ORDER BY seq;
INSERT INTO meta (k, v) VALUES ('seq', max(
  coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), coalesce((SELECT MAX(seq) FROM outbox), 0)))
  ON CONFLICT(k) DO UPDATE SET v = max(v, excluded.v);
DROP TABLE outbox;
CREATE VIEW outbox AS
  SELECT seq, 1 AS life, at, body FROM outbox_life UNION ALL SELECT seq, 0 AS life, at, body FROM outbox_normal;
`,
  },
  {
    // Issue 14, memory: one row holding the whole snapshot text (5.5 MiB at 2,000 devices) raised
    // the edge's peak RSS by ~34 MiB at each save. The text is now written in pieces of ~256 KiB,
    // one row each, in one transaction with its scorer_state row (body '' there). A body left in
    // scorer_state by an older build is still read.
    version: 5,
    name: "scorer_state_pieces: the scorer's saved feature memory in pieces",
    up: `
CREATE TABLE IF NOT EXISTS scorer_state_pieces (k TEXT NOT NULL, n INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (k, n)) WITHOUT ROWID;
`,
  },
];

/**
 * Bring the edge's file to the newest schema. Everything that opens it calls this first (cheap
 * when current). Failures: SS_EDGE_MIGRATION (rolled back), SS_EDGE_SCHEMA_NEWER (newer build).
 */
export function migrateEdgeDb(db: Db, migrations: readonly SqliteMigration[] = EDGE_DB_MIGRATIONS): number {
  return runSqliteMigrations(db, migrations, db.name, {
    failed: (detail) => new EdgeError('SS_EDGE_MIGRATION', detail),
    newer: (detail) => new EdgeError('SS_EDGE_SCHEMA_NEWER', detail),
  });
}
