import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { pino } from 'pino';
import { migratePg } from '../store/pgMigrate.ts';
import { loadClusterConfig } from './config.ts';
import { ensureEventsStream } from './stream.ts';
import { PartitionWorker } from './worker.ts';

/**
 * Process entry of a cluster-mode hub worker: `node --import tsx hub/cluster/worker-main.ts
 * <config.json | JSON>`. Wiring only. Prints one JSON line {"ready":…} on stdout when running;
 * SIGTERM/SIGINT stop it gracefully (leases released), SIGKILL is what the takeover is for.
 */
const cfg = loadClusterConfig(process.argv[2]);
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
const pool = new pg.Pool({ connectionString: cfg.pg, max: 8 });
const leasePool = new pg.Pool({ connectionString: cfg.pg, max: 2 });
await migratePg(pool);
const nc = await connect({ servers: cfg.nats, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: cfg.id });
await ensureEventsStream(await jetstreamManager(nc), { replicas: cfg.replicas });
const worker = new PartitionWorker({ id: cfg.id, nc, pool, leasePool, partitions: cfg.partitions, leaseTtlMs: cfg.leaseTtlMs, tickMs: cfg.tickMs, ackWaitMs: cfg.ackWaitMs, log });
await worker.start();
process.stdout.write(`${JSON.stringify({ ready: true, id: cfg.id, pid: process.pid })}\n`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await worker.stop();
  log.info({ worker: cfg.id, ...worker.stats }, 'worker stopped');
  await nc.drain();
  await pool.end();
  await leasePool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
