import { readFileSync } from 'node:fs';
import Type, { type Static } from 'typebox';
import { compileChecker, describeProblems } from '../../protocol/validate.ts';
import { parseProxies } from '../config.ts';
import { HubError } from '../errors.ts';

/** How long a review's calibration waits for a silent partition (10 min; `calibrationGraceMs`). */
export const DEFAULT_CALIBRATION_GRACE_MS = 600_000;

/**
 * Cluster-mode settings shared by the worker and ingress processes, as a TypeBox schema so a hub
 * config file can embed it as its `cluster` section. The same values come from a JSON file or
 * JSON text (`--config`), CLI flags and SAFESTAR_CLUSTER_* variables (clusterConfigFromEnv).
 */
export const ClusterConfigSchema = Type.Object(
  {
    /** Unique per process: the lease owner name in PostgreSQL and in the audit. */
    id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    /** Every NATS server of the cluster (clients fail over among them). */
    nats: Type.Array(Type.String({ pattern: '^(nats|tls)://', maxLength: 300 }), { minItems: 1, maxItems: 32 }),
    /** PostgreSQL connection string. */
    pg: Type.String({ pattern: '^postgres(ql)?://', maxLength: 1000 }),
    partitions: Type.Integer({ minimum: 1, maximum: 4096, default: 64 }),
    /** Stream replicas: 3 in production (survives one NATS node lost); 1 only for one dev server. */
    replicas: Type.Integer({ minimum: 1, maximum: 5, default: 3 }),
    leaseTtlMs: Type.Integer({ minimum: 500, default: 10_000 }),
    tickMs: Type.Optional(Type.Integer({ minimum: 50 })),
    ackWaitMs: Type.Integer({ minimum: 1000, default: 30_000 }),
    /** Worker: how often each held partition re-rates its compounds (reviews, decay). */
    reviewMs: Type.Integer({ minimum: 100, default: 60_000 }),
    /**
     * Worker: a review's city calibration leaves out a partition that has not reported this long
     * after the review's first report (SS_CLUSTER_CALIBRATION_LATE; city-calibration.ts). Every
     * worker of a city should run the same: whichever coordinates applies its own.
     */
    calibrationGraceMs: Type.Integer({ minimum: 0, default: DEFAULT_CALIBRATION_GRACE_MS }),
    /** Worker: HTTP API (cases, compounds, map); ingress: GET /metrics only. Absent = no HTTP. */
    apiHost: Type.Optional(Type.String({ maxLength: 255 })),
    apiPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
    /** Worker: reverse proxies (addresses/CIDRs) whose X-Forwarded-For is believed, as the hub's --trusted-proxy (per-address report limits; the console cookie is Secure behind TLS). */
    trustedProxies: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 })),
    /**
     * Worker: InfluxDB this worker feeds (http://host:port/database). Workers naming the same
     * `seriesName` share one durable consumer; a second InfluxDB gets its own name (the HA option).
     */
    influx: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 1000 })),
    seriesName: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'main' }),
    /** Ingress only: MQTT listen address for edges. */
    mqttHost: Type.Optional(Type.String({ maxLength: 255 })),
    mqttPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
  },
  { additionalProperties: false },
);

export type ClusterConfig = Static<typeof ClusterConfigSchema>;

const DEFAULTS = { partitions: 64, replicas: 3, leaseTtlMs: 10_000, ackWaitMs: 30_000, reviewMs: 60_000, calibrationGraceMs: DEFAULT_CALIBRATION_GRACE_MS, seriesName: 'main' };
const check = compileChecker<ClusterConfig>(ClusterConfigSchema);

/** Validate a parsed config (defaults filled in); throws SS_CLUSTER_CONFIG with the problems. */
export function parseClusterConfig(raw: unknown): ClusterConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new HubError('SS_CLUSTER_CONFIG', 'the cluster config must be a JSON object');
  const merged = { ...DEFAULTS, ...Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) };
  const r = check(merged);
  if (!r.ok) throw new HubError('SS_CLUSTER_CONFIG', describeProblems(r.problems));
  const c = r.value;
  const tick = c.tickMs ?? Math.floor(c.leaseTtlMs / 4);
  if (tick * 2 > c.leaseTtlMs) throw new HubError('SS_CLUSTER_CONFIG', `tickMs (${tick}) must be at most half of leaseTtlMs (${c.leaseTtlMs})`);
  // The same check as the hub's --trusted-proxy (an address or CIDR each; SS_HUB_CONFIG otherwise).
  if (c.trustedProxies) parseProxies(c.trustedProxies.join(','));
  return c;
}

/** SAFESTAR_CLUSTER_* variables (NATS as a comma list); flags and the file win over them. */
export function clusterConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ClusterConfig> {
  const num = (k: string): number | undefined => (env[k] === undefined ? undefined : Number(env[k]));
  return {
    ...(env['SAFESTAR_CLUSTER_ID'] ? { id: env['SAFESTAR_CLUSTER_ID'] } : {}),
    ...(env['SAFESTAR_CLUSTER_NATS'] ? { nats: env['SAFESTAR_CLUSTER_NATS'].split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(env['SAFESTAR_CLUSTER_PG'] ? { pg: env['SAFESTAR_CLUSTER_PG'] } : {}),
    ...(env['SAFESTAR_CLUSTER_INFLUX'] ? { influx: env['SAFESTAR_CLUSTER_INFLUX'] } : {}),
    ...(num('SAFESTAR_CLUSTER_PARTITIONS') !== undefined ? { partitions: num('SAFESTAR_CLUSTER_PARTITIONS')! } : {}),
    ...(num('SAFESTAR_CLUSTER_REPLICAS') !== undefined ? { replicas: num('SAFESTAR_CLUSTER_REPLICAS')! } : {}),
    ...(num('SAFESTAR_CLUSTER_CALIBRATION_GRACE_MS') !== undefined ? { calibrationGraceMs: num('SAFESTAR_CLUSTER_CALIBRATION_GRACE_MS')! } : {}),
  };
}

/** A JSON file path or JSON text (what the process entries take as their argument). */
export function readClusterConfigArg(arg: string | undefined): Partial<ClusterConfig> {
  if (!arg) return {};
  try {
    return JSON.parse(arg.trimStart().startsWith('{') ? arg : readFileSync(arg, 'utf8')) as Partial<ClusterConfig>;
  } catch (e) {
    throw new HubError('SS_CLUSTER_CONFIG', `config is not readable JSON: ${(e as Error).message}`);
  }
}

/** Env, then the file/JSON argument, then flags (later wins); validated. */
export function loadClusterConfig(arg: string | undefined, flags: Partial<ClusterConfig> = {}, env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const merged = { ...clusterConfigFromEnv(env), ...readClusterConfigArg(arg), ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  if (Object.keys(merged).length === 0) throw new HubError('SS_CLUSTER_CONFIG', 'pass --config FILE|JSON, or --id, --nats and --pg (or SAFESTAR_CLUSTER_ID, _NATS, _PG)');
  return parseClusterConfig(merged);
}
