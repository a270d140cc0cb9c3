/**
 * PostgreSQL schema, as numbered migrations (applied in order by hub/store/pgMigrate.ts, each
 * recorded in schema_migrations). Never edit a migration that shipped: add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'state and ingest (the SQLite stores’ tables)',
    sql: `
CREATE TABLE compounds (
  id text PRIMARY KEY, name text NOT NULL, district text NOT NULL, households integer NOT NULL,
  lat double precision, lon double precision);
CREATE TABLE devices (
  id text PRIMARY KEY, compound text NOT NULL, kind text NOT NULL, profile text, heartbeat_s integer NOT NULL);
CREATE INDEX devices_compound ON devices (compound, id);
CREATE TABLE kv (key text PRIMARY KEY, value text NOT NULL);
-- Dedupe: every event id accepted in the retention window; 'at' (ms, the hub's clock) drives the sweep.
CREATE TABLE seen (id text PRIMARY KEY, at bigint NOT NULL);
CREATE INDEX seen_at ON seen (at);
CREATE TABLE deadletters (
  id bigserial PRIMARY KEY, at bigint NOT NULL, edge text NOT NULL, reason text NOT NULL,
  detail text NOT NULL, raw text NOT NULL);
CREATE INDEX deadletters_reason ON deadletters (reason, id);
`,
  },
  {
    version: 2,
    name: 'cluster: partition leases with epochs, workers, per-partition state, audit',
    sql: `
-- One row per partition. epoch only ever grows: it is the fencing number every state write carries.
CREATE TABLE partition_leases (
  partition integer PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL DEFAULT '-infinity');
CREATE TABLE cluster_workers (id text PRIMARY KEY, seen_at timestamptz NOT NULL);
CREATE TABLE device_last_seen (
  device text PRIMARY KEY, compound text NOT NULL, partition integer NOT NULL,
  last_time bigint NOT NULL, last_event text NOT NULL, last_type text NOT NULL, epoch bigint NOT NULL);
CREATE TABLE alarms (
  event_id text PRIMARY KEY, compound text NOT NULL, device text NOT NULL, type text NOT NULL,
  severity text NOT NULL, device_time bigint NOT NULL, partition integer NOT NULL,
  owner text NOT NULL, epoch bigint NOT NULL);
CREATE INDEX alarms_compound ON alarms (compound, device_time);
-- Events applied per compound: a replay applied twice would show here (the kill tests check it).
CREATE TABLE compound_events (
  compound text PRIMARY KEY, partition integer NOT NULL, events bigint NOT NULL, epoch bigint NOT NULL);
-- Who owned what when: claims and releases with their epochs.
CREATE TABLE audit (
  id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), partition integer,
  owner text NOT NULL, epoch bigint, action text NOT NULL, detail text NOT NULL DEFAULT '');
CREATE INDEX audit_partition ON audit (partition, id);
`,
  },
  {
    version: 3,
    name: 'cluster: cases, ratings per compound (fenced), dead letters from the stream',
    sql: `
-- Cases as the partition owner applied them (idempotent by id; a new content is a new version).
CREATE TABLE cases (
  id text PRIMARY KEY, department text NOT NULL, category text NOT NULL, compound text NOT NULL,
  occurred_at bigint NOT NULL, registered_at bigint NOT NULL, received_at bigint NOT NULL,
  status text NOT NULL, posted_by text NOT NULL, version integer NOT NULL, updated_at bigint NOT NULL,
  partition integer NOT NULL, epoch bigint NOT NULL);
CREATE INDEX cases_compound_time ON cases (compound, occurred_at);
-- The rating state of a compound (hysteresis and review state as JSON), written by its owner only.
CREATE TABLE compound_ratings (
  compound text PRIMARY KEY, partition integer NOT NULL, stars integer, index double precision NOT NULL,
  state jsonb NOT NULL, evaluated_at bigint NOT NULL, policy_version text NOT NULL,
  owner text NOT NULL, epoch bigint NOT NULL);
-- A dead letter taken from the stream is stored once: (stream sequence, item in the message) is the key.
ALTER TABLE deadletters ADD COLUMN stream_seq bigint, ADD COLUMN stream_item integer;
CREATE UNIQUE INDEX deadletters_stream_key ON deadletters (stream_seq, stream_item) WHERE stream_seq IS NOT NULL;
`,
  },
  {
    version: 4,
    name: 'cluster: the city calibration of each review (partition reports, one result)',
    sql: `
-- A partition owner's part of a review's city calibration: each compound's district, state before
-- the review and evaluation at it (hub/index/calibration.ts CityEntry). Written once per (review,
-- partition) under the owner's fence; a new owner's report of the same pair changes nothing.
-- json, not jsonb: the numbers come back as the very text JSON.stringify wrote.
CREATE TABLE review_reports (
  review_at bigint NOT NULL, partition integer NOT NULL, owner text NOT NULL, epoch bigint NOT NULL,
  entries json NOT NULL, reported_at bigint NOT NULL, PRIMARY KEY (review_at, partition));
-- The city calibration of a review (ReviewOffsets), computed once by one coordinator.
CREATE TABLE review_calibrations (
  review_at bigint PRIMARY KEY, offsets json NOT NULL, partitions integer[] NOT NULL,
  missing integer[] NOT NULL, coordinator text NOT NULL, computed_at bigint NOT NULL);
`,
  },
  {
    version: 5,
    name: 'cluster: operator decisions on alarms, resident surveys',
    sql: `
-- An operator's decision on a device alarm (only confirmed ones score), written by the partition
-- owner that applied it, with its epoch.
ALTER TABLE alarms ADD COLUMN status text NOT NULL DEFAULT 'pending', ADD COLUMN decided_at bigint,
  ADD COLUMN decided_by text, ADD COLUMN decided_epoch bigint;
CREATE INDEX alarms_status ON alarms (status, device_time);
-- The latest resident survey result of a compound (0..1), written by its owner.
CREATE TABLE surveys (
  compound text PRIMARY KEY, satisfaction double precision NOT NULL, at bigint NOT NULL,
  partition integer, epoch bigint);
`,
  },
  {
    version: 6,
    name: 'cluster: district names, the public explanation of each rating',
    sql: `
-- The city's district names (the city file's list; the embedded hub keeps them in memory).
CREATE TABLE districts (id text PRIMARY KEY, name text NOT NULL);
-- What the compound's public page shows (hub/index/explain.ts explainPublic), written by its
-- owner with the rating: any worker serves the plaque page and the map's reasons from it.
ALTER TABLE compound_ratings ADD COLUMN detail json;
`,
  },
  {
    version: 7,
    name: 'cluster: edge credentials shared by every ingress (scrypt hashes, compound scope)',
    sql: `
-- What the embedded hub keeps in credentials.json, for cluster mode: one row per edge, only the
-- scrypt hash of its secret, and the compounds it may publish for.
CREATE TABLE edge_credentials (
  id text PRIMARY KEY, compounds text[] NOT NULL CHECK (cardinality(compounds) > 0),
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'), created_at bigint NOT NULL);
-- One row, bumped by a statement trigger on any change (the CLI's or a hand-made SQL edit):
-- every ingress polls it and reloads the table only when it moved, so a revoke reaches all of them.
CREATE TABLE edge_credentials_version (one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL);
INSERT INTO edge_credentials_version VALUES (true, 0);
CREATE FUNCTION edge_credentials_bump() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE edge_credentials_version SET version = version + 1;
  RETURN NULL;
END $fn$;
CREATE TRIGGER edge_credentials_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON edge_credentials
  FOR EACH STATEMENT EXECUTE FUNCTION edge_credentials_bump();
`,
  },
  {
    version: 8,
    name: 'cluster: residents\u2019 reports and officers\u2019 check-ins of the public pages',
    sql: `
-- The embedded hub's web_reports / web_checkins (hub/web/store.ts), kept alike: no address or
-- other identifier of a resident; a check-in's officer as entered and the department from the
-- token. Any worker writes them (they are no partition's state: no epoch); pruned past MAX_ROWS.
CREATE TABLE web_reports (
  id bigserial PRIMARY KEY, compound text NOT NULL, category text NOT NULL, text text NOT NULL, at bigint NOT NULL);
CREATE INDEX web_reports_compound ON web_reports (compound, at);
CREATE TABLE web_checkins (
  id bigserial PRIMARY KEY, compound text NOT NULL, department text NOT NULL, officer text NOT NULL,
  activity text NOT NULL, at bigint NOT NULL);
CREATE INDEX web_checkins_compound ON web_checkins (compound, at);
`,
  },
  {
    version: 9,
    name: 'cluster: operator console sessions shared by every worker',
    sql: `
-- The console's sessions (hub/web/console/session-pg.ts): only the SHA-256 of the session id is
-- stored, never the id; times are ms on the hub's clock. seq orders logins of the same instant.
CREATE TABLE console_sessions (
  digest text PRIMARY KEY CHECK (length(digest) = 64), seq bigserial NOT NULL,
  created_at bigint NOT NULL, expires_at bigint NOT NULL);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
`,
  },
  {
    version: 10,
    name: "cluster: who made each alarm's event and its anomaly score, as the embedded hub keeps them",
    sql: `
-- hub/index/alarm-rule.ts opens the alarms of both modes; the embedded hub's index_alarms keeps
-- the event's origin and the edge's score (JSON text, as SQLite stores it): so do these rows.
-- Rows opened before were a device's own events (the edge's records are minor or info, never the
-- major/critical the old rule took, and no codec sets an origin): 'device' is what they were.
ALTER TABLE alarms ADD COLUMN origin text NOT NULL DEFAULT 'device', ADD COLUMN score text;
-- The pruning of pending alarms (hub/cluster/pruning.ts) walks them oldest first, ties by id.
CREATE INDEX alarms_pending_order ON alarms (device_time, event_id) WHERE status = 'pending';
`,
  },
];
