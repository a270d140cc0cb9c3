/**
 * Error catalogue of cluster mode (hub/cluster): stable codes, each text says what to do. The scan
 * in test/cluster/error-codes.test.ts keeps every code used under hub/cluster listed here.
 */
export const CLUSTER_ERRORS = {
  SS_CLUSTER_CONFIG: 'cluster options are invalid; check the NATS servers, PostgreSQL URL and partition count',
  SS_CLUSTER_CALIBRATION_LATE: 'a review\'s city calibration was computed without the partitions that had not reported within the grace; their compounds use that offset; look for why their owner was late (lease churn, a stuck transaction)',
  SS_CLUSTER_PUBLISH: 'JetStream did not acknowledge a batch; the edge is not PUBACKed and resends it (dedupe by message id and event id)',
  SS_CLUSTER_FENCED: 'a state write carried a lease epoch that is no longer the partition\'s: another worker owns it now; this worker stops that partition',
  SS_CLUSTER_LEASE_LOST: 'a partition lease could not be renewed in time; this worker stops consuming it until it claims it again',
  SS_CLUSTER_MIGRATION: 'a PostgreSQL schema migration failed; fix the database (the transaction was rolled back) and restart',
  SS_CLUSTER_SCHEMA_NEWER: 'the PostgreSQL schema is newer than this build knows; upgrade this process before pointing it at the database',
  SS_CLUSTER_SERIES_DOWN: 'InfluxDB did not take a write; the messages are redelivered with backoff (nothing is acked)',
  SS_CLUSTER_SERIES_REJECTED: 'InfluxDB refused a message\'s points even alone (e.g. a field type conflict); it is terminated and stays in the stream until max age',
} as const;

export type ClusterErrorCode = keyof typeof CLUSTER_ERRORS;

export class ClusterError extends Error {
  readonly code: ClusterErrorCode;
  constructor(code: ClusterErrorCode, detail: string) {
    super(`${code}: ${detail} (${CLUSTER_ERRORS[code]})`);
    this.code = code;
    this.name = 'ClusterError';
  }
}
