import { sqliteColumns as columns, type SqliteMigration } from '../../../common/sqlite-migrate.ts';

export type { SqliteMigration } from '../../../common/sqlite-migrate.ts';

/**
 * SQLite schemas of the embedded hub as numbered migrations (applied in order by
 * hub/store/sqliteMigrate.ts, the runner shared with the edge in common/sqlite-migrate.ts; the
 * file's PRAGMA user_version is the last one applied). Never edit a migration that shipped: add
 * the next number. Version 1 is the schema as it stood when the migrations were introduced, with
 * IF NOT EXISTS so a file made by an older build (user_version 0) is adopted as it is; later
 * versions are plain steps.
 */

/** ingest.db: dedupe, durable queue, dead letters, field types (hub/store/ingestDb.ts). */
export const INGEST_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'ingest: meta, queue, seen, dead letters, field types',
    up: `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
-- The durable queue: line protocol chunks in arrival order, deleted only after InfluxDB acked them.
CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER NOT NULL, lines TEXT NOT NULL);
-- Dedupe: every event id accepted in the retention window. No index on 'at': it cost ~40 % of
-- the insert; old ids are swept in id order instead (pruneSeen), a bounded slice at a time.
CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
DROP INDEX IF EXISTS seen_at;
CREATE TABLE IF NOT EXISTS deadletters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, edge TEXT NOT NULL,
  reason TEXT NOT NULL, detail TEXT NOT NULL, raw TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deadletters_reason ON deadletters(reason);
CREATE TABLE IF NOT EXISTS field_types (name TEXT PRIMARY KEY, type TEXT NOT NULL) WITHOUT ROWID;
`,
  },
];

/**
 * state.db: every table the hub's state modules keep in it (stateDb, cases, index ratings and
 * audit, index history queue, device tracker, the simple rating, the web's reports and check-ins),
 * in one list, so the file has one version and one place that says what is in it.
 */
export const STATE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'state: compounds, devices, kv, cases, alarms, survey, ratings, audit, history queue, devices online, simple rating, web',
    up: `
CREATE TABLE IF NOT EXISTS compounds (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, district TEXT NOT NULL, households INTEGER NOT NULL,
  lat REAL, lon REAL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, compound TEXT NOT NULL, kind TEXT NOT NULL, profile TEXT, heartbeat_s INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS devices_compound ON devices(compound);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_cases (
  id TEXT PRIMARY KEY, department TEXT NOT NULL, category TEXT NOT NULL, compound TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, registered_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
  status TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS index_cases_compound_time ON index_cases(compound, occurred_at);
DROP INDEX IF EXISTS index_cases_compound;
CREATE TABLE IF NOT EXISTS index_case_versions (
  id TEXT NOT NULL, version INTEGER NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (id, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_alarms (
  id TEXT PRIMARY KEY, compound TEXT NOT NULL, device TEXT NOT NULL, type TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, status TEXT NOT NULL, decided_at INTEGER, decided_by TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS index_alarms_compound_time ON index_alarms(compound, status, occurred_at);
DROP INDEX IF EXISTS index_alarms_compound;
CREATE INDEX IF NOT EXISTS index_alarms_pending ON index_alarms(status, occurred_at);
CREATE TABLE IF NOT EXISTS index_survey (compound TEXT PRIMARY KEY, satisfaction REAL NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_rating (
  compound TEXT PRIMARY KEY, stars INTEGER NOT NULL, idx REAL NOT NULL, state TEXT NOT NULL,
  evaluated_at INTEGER NOT NULL, policy_version TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, compound TEXT NOT NULL, at INTEGER NOT NULL,
  from_stars INTEGER, to_stars INTEGER NOT NULL, idx REAL NOT NULL, trigger TEXT NOT NULL,
  reason TEXT NOT NULL, policy_version TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS index_audit_compound ON index_audit(compound, seq);
CREATE TABLE IF NOT EXISTS index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_history_queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS index_device (id TEXT PRIMARY KEY, last_seen INTEGER NOT NULL, offline INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rating_compound (id TEXT PRIMARY KEY, alarm_r REAL NOT NULL, alarm_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rating_device (id TEXT PRIMARY KEY, last_seen INTEGER NOT NULL, offline INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS web_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT, compound TEXT NOT NULL, category TEXT NOT NULL,
  text TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS web_reports_compound ON web_reports(compound, at);
CREATE TABLE IF NOT EXISTS web_checkins (
  id INTEGER PRIMARY KEY AUTOINCREMENT, compound TEXT NOT NULL, department TEXT NOT NULL,
  officer TEXT NOT NULL, activity TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS web_checkins_compound ON web_checkins(compound, at);
`,
  },
  {
    version: 2,
    name: 'state: who posted each case (index_cases.posted_by)',
    // Files of builds between the column's addition and these migrations already have it.
    up: (db) => {
      if (!columns(db, 'index_cases').includes('posted_by')) db.exec("ALTER TABLE index_cases ADD COLUMN posted_by TEXT NOT NULL DEFAULT ''");
    },
  },
  {
    version: 3,
    name: "state: the edge's anomaly score of each alarm (console evidence), dead-lettered index history lines, the audit by time",
    up: (db) => {
      // Files of builds between the console's score column and these migrations already have it.
      if (!columns(db, 'index_alarms').includes('score')) db.exec('ALTER TABLE index_alarms ADD COLUMN score TEXT');
      // safety_index lines InfluxDB refused for good (hub/index/history.ts): kept with the reason, never retried.
      db.exec('CREATE TABLE IF NOT EXISTS index_history_dead (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL, line TEXT NOT NULL)');
      // The console's "changes today" and the audit feed read the audit by time.
      db.exec('CREATE INDEX IF NOT EXISTS index_audit_at ON index_audit(at)');
    },
  },
  {
    version: 4,
    name: 'state: one stable slot per case or alarm in the problems measurement (index_problem_slots)',
    // Files written since the insights panel already have it (its module created it itself).
    up: 'CREATE TABLE IF NOT EXISTS index_problem_slots (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE);',
  },
  {
    version: 5,
    name: 'state: operator console sessions (only the SHA-256 of each session id), so a restart keeps operators logged in',
    up: `CREATE TABLE console_sessions (digest TEXT PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX console_sessions_expires ON console_sessions(expires_at);`,
  },
  {
    version: 6,
    name: "state: who made each alarm's event (index_alarms.origin, hub/index/alarm-rule.ts), as PostgreSQL's alarms keep it",
    // Every alarm stored before was a device's own event: the rule never opened one for the
    // edge's records and no codec sets an origin, so 'device' is what they were.
    up: "ALTER TABLE index_alarms ADD COLUMN origin TEXT NOT NULL DEFAULT 'device';",
  },
];
