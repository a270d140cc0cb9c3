import { readFileSync } from 'node:fs';
import { ClusterError } from './errors.ts';

/** Cluster-mode settings shared by the worker and ingress processes (JSON file or JSON text). */
export interface ClusterConfig {
  /** Unique per process: it is the lease owner name in PostgreSQL and in the audit. */
  id: string;
  /** Every NATS server of the cluster (clients fail over among them). */
  nats: string[];
  /** PostgreSQL connection string. */
  pg: string;
  partitions: number;
  /** Stream replicas (3 in production). */
  replicas: number;
  leaseTtlMs: number;
  tickMs?: number;
  ackWaitMs: number;
  /** Ingress only: MQTT listen address for edges. */
  mqttHost?: string;
  mqttPort?: number;
}

const DEFAULTS = { partitions: 64, replicas: 3, leaseTtlMs: 10_000, ackWaitMs: 30_000 };

export function loadClusterConfig(arg: string | undefined): ClusterConfig {
  if (!arg) throw new ClusterError('SS_CLUSTER_CONFIG', 'pass the cluster config as a JSON file path or JSON text');
  let raw: unknown;
  try {
    raw = JSON.parse(arg.trimStart().startsWith('{') ? arg : readFileSync(arg, 'utf8'));
  } catch (e) {
    throw new ClusterError('SS_CLUSTER_CONFIG', `config is not readable JSON: ${(e as Error).message}`);
  }
  const c = { ...DEFAULTS, ...(raw as Partial<ClusterConfig>) } as ClusterConfig;
  if (typeof c.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(c.id)) throw new ClusterError('SS_CLUSTER_CONFIG', 'id must match [A-Za-z0-9_.-]{1,64}');
  if (!Array.isArray(c.nats) || c.nats.length === 0 || !c.nats.every((s) => typeof s === 'string')) throw new ClusterError('SS_CLUSTER_CONFIG', 'nats must list the NATS server URLs');
  if (typeof c.pg !== 'string' || !c.pg.startsWith('postgres')) throw new ClusterError('SS_CLUSTER_CONFIG', 'pg must be a postgres:// connection string');
  for (const k of ['partitions', 'replicas', 'leaseTtlMs', 'ackWaitMs'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ClusterError('SS_CLUSTER_CONFIG', `${k} must be a positive integer`);
  }
  return c;
}
