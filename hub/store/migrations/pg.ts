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
];
