/**
 * The hub's error catalogue, embedded and cluster mode alike: every code is stable (dashboards,
 * alerts and docs key on it) and every message says what happened and what to do (STYLE.md habit 6).
 */
export const HUB_ERRORS = {
  SS_HUB_CONFIG: 'hub options are invalid',
  SS_HUB_CONFIG_READ: 'the hub config file (--config) could not be read',
  SS_HUB_CONFIG_JSON: 'the hub config file is not valid JSON',
  SS_HUB_CONFIG_INVALID: 'the hub config file does not match its schema; fix the field at the reported path',
  SS_HUB_NO_TSDB: 'no InfluxDB is configured; events wait in the durable queue',
  SS_HUB_DRAIN_TIMEOUT: 'the durable queue did not empty in time',
  SS_HUB_CLOSED: 'the hub is closed',
  SS_HUB_INFLUX_DOWN: 'InfluxDB is unreachable; writes are retried with backoff',
  SS_HUB_INFLUX_REJECTED: 'InfluxDB rejected a write',
  SS_HUB_COMMIT: 'a batch could not be committed to the durable queue; the edge resends it',
  SS_HUB_RATING: 'the rating engine failed on accepted events; they are stored, only the live rating missed them',
  SS_HUB_COMPOUND_UNKNOWN: 'no compound with this id is registered',
  SS_HUB_EDGE_AUTH: 'edge credentials were refused',
  SS_HUB_NO_CREDENTIALS: 'no edge credentials are issued; the hub will not accept anonymous edges',
  SS_HUB_CREDENTIALS: 'the credentials file is unreadable or malformed',
  SS_HUB_EDGE_REVOKED: 'a connected edge was revoked and is disconnected',
  SS_HUB_MQTT_PACKET_SIZE: 'an MQTT packet is larger than the hub accepts; the connection is closed',
  SS_HUB_MQTT_FIRST_PACKET: 'an MQTT connection did not start with CONNECT; the connection is closed',
  SS_HUB_TLS: 'TLS certificate or key files are missing or invalid',
  SS_HUB_AUTH: 'this route needs an operator token',
  SS_HUB_TOKEN_SHORT: 'an API token from the environment is shorter than 16 characters',
  SS_HUB_INVALID: 'the request does not match the route schema (see /docs); fix the listed fields',
  SS_HUB_MIGRATION: 'a SQLite schema migration failed and was rolled back; fix or restore the file named and restart',
  SS_HUB_SCHEMA_NEWER: 'the SQLite file was written by a newer build; run that build, or restore a backup made by this one',
  // Cluster mode (hub/cluster, the PostgreSQL stores): the same catalogue and HubError.
  SS_CLUSTER_CONFIG: 'cluster options are invalid; check the NATS servers, PostgreSQL URL and partition count',
  SS_CLUSTER_PUBLISH: 'JetStream did not acknowledge a batch; the edge is not PUBACKed and resends it (dedupe by message id and event id)',
  SS_CLUSTER_FENCED: 'a state write carried a lease epoch that is no longer the partition\'s: another worker owns it now; this worker stops that partition',
  SS_CLUSTER_LEASE_LOST: 'a partition lease could not be renewed in time; this worker stops consuming it until it claims it again',
  SS_CLUSTER_MIGRATION: 'a PostgreSQL schema migration failed; fix the database (the transaction was rolled back) and restart',
  SS_CLUSTER_SCHEMA_NEWER: 'the PostgreSQL schema is newer than this build knows; upgrade this process before pointing it at the database',
  SS_CLUSTER_LIVE_BAD: 'a message on ss.live.> was not a compound change ({v:1, type: rating|alarm, compound}); it is ignored and counted, only workers publish there',
  SS_CLUSTER_SERIES_DOWN: 'InfluxDB did not take a write; the messages are redelivered with backoff (nothing is acked)',
  SS_CLUSTER_SERIES_REJECTED: 'InfluxDB refused a message\'s points even alone (e.g. a field type conflict); it is terminated and stays in the stream until max age',
  SS_CLUSTER_PG_CONNECTION: 'a pooled PostgreSQL connection broke (server restart, terminated backend); the pool opens a new one, and a write that was on it fails and is retried (its JetStream messages are redelivered). Many of these: check the database',
  SS_CLUSTER_CALIBRATION_LATE: 'a review\'s city calibration was computed without the partitions that had not reported within the grace; their compounds use that offset; look for why their owner was late (lease churn, a stuck transaction)',
} as const;

export type HubErrorCode = keyof typeof HUB_ERRORS;

export class HubError extends Error {
  readonly code: HubErrorCode;
  constructor(code: HubErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.code = code;
    this.name = 'HubError';
  }
}

/**
 * Reason codes of dead-letter records. A bad batch or event is data, not an exception: it is stored
 * with one of these, counted by reason, and the rest of the batch carries on.
 */
export const DEAD_LETTER_REASONS = {
  SS_DL_TOO_LARGE: 'payload is larger than a batch can legitimately be',
  SS_DL_JSON: 'payload is not valid JSON',
  SS_DL_ENVELOPE: 'payload is not an EventBatch v1 envelope',
  SS_DL_EDGE_MISMATCH: 'batch or event names another edge than the one that published it',
  SS_DL_EVENT_INVALID: 'event failed Event v1 validation',
  SS_DL_TOPIC_FORBIDDEN: 'edge published outside its own topics',
  SS_DL_EDGE_SCOPE: 'event is for a compound the edge is not registered to serve',
  SS_DL_INFLUX_REJECTED: 'InfluxDB refused the point (e.g. field type conflict)',
} as const;

export type DeadLetterReason = keyof typeof DEAD_LETTER_REASONS;
