import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { pino } from 'pino';
import { tokensFromEnv } from '../cases/auth.ts';
import { parseInfluxUrl } from '../config.ts';
import { defaultPolicy } from '../index/policy.ts';
import { migratePg } from '../store/pgMigrate.ts';
import { buildClusterApi } from './api.ts';
import type { ClusterConfig } from './config.ts';
import { DeadLetterConsumer } from './deadletters.ts';
import { JetStreamSeriesSink } from './seriesSink.ts';
import { ensureEventsStream } from './stream.ts';
import { PartitionWorker } from './worker.ts';
import { HUB_ERRORS } from '../errors.ts';

/**
 * A cluster-mode hub worker (wiring only): migrate PostgreSQL, own a fair share of the
 * partitions, store dead letters, feed InfluxDB when configured, serve the API when configured.
 * Prints one JSON line {"ready":true,…} on stdout; SIGTERM/SIGINT stop it gracefully (leases
 * released), SIGKILL is what the takeover is for.
 */
export async function runWorker(cfg: ClusterConfig): Promise<void> {
  const log = pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
  // Named, so an operator sees in pg_stat_activity which worker holds which connection.
  const pool = new pg.Pool({ connectionString: cfg.pg, max: 8, application_name: `safestar-worker ${cfg.id}` });
  const leasePool = new pg.Pool({ connectionString: cfg.pg, max: 2, application_name: `safestar-worker ${cfg.id} leases` });
  // An idle pooled connection that dies (PostgreSQL restarted, backend terminated) is reported
  // here; unheard it would crash the worker. The pool opens a new one for the next query.
  for (const p of [pool, leasePool]) p.on('error', (e) => log.warn({ worker: cfg.id, code: 'SS_CLUSTER_PG_CONNECTION', err: e.message }, `SS_CLUSTER_PG_CONNECTION: ${HUB_ERRORS.SS_CLUSTER_PG_CONNECTION}`));
  await migratePg(pool);
  const nc = await connect({ servers: cfg.nats, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: cfg.id });
  await ensureEventsStream(await jetstreamManager(nc), { replicas: cfg.replicas });
  const policy = defaultPolicy();
  const worker = new PartitionWorker({ id: cfg.id, nc, pool, leasePool, partitions: cfg.partitions, leaseTtlMs: cfg.leaseTtlMs, tickMs: cfg.tickMs, ackWaitMs: cfg.ackWaitMs, reviewMs: cfg.reviewMs, calibrationGraceMs: cfg.calibrationGraceMs, policy, log });
  await worker.start();
  const dead = new DeadLetterConsumer(nc, pool, Date.now, log);
  await dead.start();
  let sink: JetStreamSeriesSink | undefined;
  if (cfg.influx) {
    const t = parseInfluxUrl(cfg.influx);
    // Same redelivery delay as the partitions: a dead worker's unacked series batches come back after ackWaitMs.
    sink = new JetStreamSeriesSink({ nc, influxUrl: t.url, database: t.database, name: cfg.seriesName, ackWaitMs: cfg.ackWaitMs, log });
    await sink.start();
  }
  let apiUrl: string | undefined;
  const api =
    cfg.apiPort === undefined
      ? undefined
      : await buildClusterApi({ pool, js: jetstream(nc), policy, tokens: tokensFromEnv(), partitions: cfg.partitions, workerId: cfg.id, nc, ...(cfg.trustedProxies ? { trustedProxies: cfg.trustedProxies } : {}), health: () => ({ partitions: worker.owned().length, ...worker.stats }) });
  if (api) {
    const host = cfg.apiHost ?? '127.0.0.1';
    await api.listen({ host, port: cfg.apiPort ?? 0 });
    const a = api.server.address();
    apiUrl = `http://${host}:${typeof a === 'object' && a ? a.port : cfg.apiPort}`;
  }
  process.stdout.write(`${JSON.stringify({ ready: true, id: cfg.id, pid: process.pid, ...(apiUrl ? { api: apiUrl } : {}) })}\n`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await api?.close();
    await worker.stop();
    await sink?.stop();
    await dead.stop();
    log.info({ worker: cfg.id, ...worker.stats, series: sink?.stats, deadLetters: dead.stats }, 'worker stopped');
    await nc.drain();
    await pool.end();
    await leasePool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
