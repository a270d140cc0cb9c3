import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { pino } from 'pino';
import { EdgeAuth } from '../auth.ts';
import { HubError } from '../errors.ts';
import { migratePg } from '../store/pgMigrate.ts';
import type { ClusterConfig } from './config.ts';
import { PgEdgeCredentials } from './edge-credentials.ts';
import { createIngressMetrics, serveIngressMetrics } from './ingress-metrics.ts';
import { startIngressServer } from './ingressServer.ts';
import { ensureEventsStream } from './stream.ts';

export interface RunIngressOptions {
  /** Accept any valid edge id for any compound, without credentials (throwaway tests only; said in the log). */
  insecureDev?: boolean;
  /** How often the credentials' version row is polled (a revoke is in force within this). */
  credentialsRefreshMs?: number;
}

/**
 * A cluster-mode MQTT ingress (wiring only). Edges authenticate against `edge_credentials` in the
 * cluster's PostgreSQL (hub/cluster/edge-credentials.ts), as the embedded hub does against its
 * credentials file: with none issued it refuses to start (SS_HUB_NO_CREDENTIALS) unless
 * `insecureDev`. Prints {"ready":…,"url":…} on stdout.
 */
export async function runIngress(cfg: ClusterConfig, o: RunIngressOptions = {}): Promise<void> {
  const log = pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
  // Two connections: the credentials poll and the (rare) migration; the hot path never touches PostgreSQL.
  const pool = new pg.Pool({ connectionString: cfg.pg, max: 2 });
  pool.on('error', (e) => log.warn({ err: e.message }, 'PostgreSQL connection error (edge credentials keep their last good list)'));
  let creds: PgEdgeCredentials | undefined;
  if (!o.insecureDev) {
    try {
      // Idempotent under an advisory lock: an ingress started before any worker still finds its table.
      await migratePg(pool);
      creds = await PgEdgeCredentials.open(pool, { refreshMs: o.credentialsRefreshMs, log });
      if (creds.edges().length === 0) {
        throw new HubError('SS_HUB_NO_CREDENTIALS', "no edge credentials in the cluster's PostgreSQL, so no edge could connect. Issue one per edge with 'safestar hub edges add EDGE-ID --compounds c0001,c0002 --pg URL' (every ingress reads them), or pass --insecure-dev for a throwaway test");
      }
    } catch (e) {
      await pool.end(); // an idle pool would keep the refusing process alive
      throw e;
    }
    creds.start();
  }
  const nc = await connect({ servers: cfg.nats, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: cfg.id });
  await ensureEventsStream(await jetstreamManager(nc), { replicas: cfg.replicas });
  const auth = new EdgeAuth(creds ? () => creds.edges() : undefined);
  if (auth.devMode) log.warn({ ingress: cfg.id }, 'INSECURE DEV MODE: no edge credentials; any valid edge id is accepted for any compound');
  let connected = (): number => 0;
  const metrics = createIngressMetrics(() => connected());
  const { broker, counters } = await startIngressServer({ nc, auth, host: cfg.mqttHost ?? '127.0.0.1', port: cfg.mqttPort ?? 0, partitions: cfg.partitions, log, metrics });
  connected = () => broker.edgesConnected();
  // --api-port on an ingress: its /metrics (it has no other HTTP API).
  const http = cfg.apiPort === undefined ? undefined : await serveIngressMetrics(metrics.registry, cfg.apiHost ?? '127.0.0.1', cfg.apiPort);
  process.stdout.write(`${JSON.stringify({ ready: true, id: cfg.id, url: broker.url, pid: process.pid, edges: creds?.edges().length ?? null, metrics: http?.url ?? null })}\n`);

  const stop = async (): Promise<void> => {
    creds?.stop();
    await http?.close();
    await broker.close();
    log.info({ ingress: cfg.id, ...counters }, 'ingress stopped');
    await nc.drain();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
