import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { buildClusterApi, type ClusterApiOptions } from '../../hub/cluster/api.ts';
import { partitionOf } from '../../hub/cluster/partition.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { PartitionWorker, type WorkerOptions } from '../../hub/cluster/worker.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { natsConnect, until } from './helpers.ts';

/**
 * The set-up the cluster tests share (each file used to build its own): a real 3-node NATS
 * cluster, a throwaway PostgreSQL database migrated to the newest schema, one client connection
 * and the events stream; then, for the tests that run workers in this process, the workers (and
 * their HTTP APIs) holding a fair share of the partitions. Nothing here is a fake: the tests
 * keep their own assertions, only the scaffolding moved.
 */
export interface ClusterBase {
  cluster: NatsCluster;
  db: TempDatabase;
  pool: pg.Pool;
  nc: NatsConnection;
  /** Connection, pool, database, NATS servers: in that order, each only if it was made. */
  stop(): Promise<void>;
}

export interface ClusterBaseOptions {
  /** Prefix of the throwaway database's name (shows which test left one behind). */
  db: string;
  /** Connections in the test's pool (default 8). */
  poolMax?: number;
  /** Stream replicas (default 3: the production setting, survives a node lost). */
  replicas?: number;
}

export async function startClusterBase(o: ClusterBaseOptions): Promise<ClusterBase> {
  const made: Partial<ClusterBase> = {};
  const stop = async (): Promise<void> => {
    await made.nc?.close();
    await made.pool?.end();
    await made.db?.drop();
    await made.cluster?.stop();
  };
  try {
    const [cluster, db] = await Promise.allSettled([startNatsCluster({ size: 3 }), createTempDatabase(o.db)]);
    if (cluster.status === 'fulfilled') made.cluster = cluster.value;
    if (db.status === 'fulfilled') made.db = db.value;
    if (cluster.status === 'rejected') throw cluster.reason;
    if (db.status === 'rejected') throw db.reason;
    made.pool = new pg.Pool({ connectionString: made.db!.url, max: o.poolMax ?? 8 });
    await migratePg(made.pool);
    made.nc = await natsConnect(made.cluster!.servers);
    await ensureEventsStream(await jetstreamManager(made.nc), { replicas: o.replicas ?? 3 });
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  return { ...(made as Omit<ClusterBase, 'stop'>), stop };
}

/** In-process workers (and optionally their APIs) on a ClusterBase. */
export interface WorkerSet {
  workers: PartitionWorker[];
  apis: FastifyInstance[];
  /** Each worker's API base URL (same order as `workers`), when started with `api`. */
  urls: string[];
  /** Index in `workers` of the one holding `compound`'s partition now (-1: none). */
  ownerIndex(compound: string): number;
  /** APIs closed, then workers stopped (leases released). */
  stop(): Promise<void>;
}

export interface WorkerSetOptions {
  ids: readonly string[];
  partitions: number;
  /** Every other worker option (the tests' short lease, tick, ack wait, review period, clock, policy). */
  worker: Omit<WorkerOptions, 'id' | 'nc' | 'pool' | 'partitions'>;
  /** Start each worker's HTTP API on a free port with these options. */
  api?: Omit<ClusterApiOptions, 'pool' | 'js' | 'partitions' | 'workerId'>;
  /** Wait until the partitions are shared evenly (default true; needs `partitions` divisible by the workers). */
  balanced?: boolean;
}

export async function startWorkers(base: Pick<ClusterBase, 'nc' | 'pool'>, o: WorkerSetOptions): Promise<WorkerSet> {
  const workers: PartitionWorker[] = [];
  const apis: FastifyInstance[] = [];
  const urls: string[] = [];
  const set: WorkerSet = {
    workers,
    apis,
    urls,
    ownerIndex: (compound) => workers.findIndex((w) => w.owned().some((h) => h.partition === partitionOf(compound, o.partitions))),
    async stop() {
      for (const a of apis) await a.close();
      for (const w of workers) await w.stop();
    },
  };
  for (const id of o.ids) {
    const w = new PartitionWorker({ ...o.worker, id, nc: base.nc, pool: base.pool, partitions: o.partitions });
    await w.start();
    workers.push(w);
    if (o.api) {
      const api = await buildClusterApi({ ...o.api, pool: base.pool, js: jetstream(base.nc), partitions: o.partitions, workerId: id });
      apis.push(api);
      await api.listen({ host: '127.0.0.1', port: 0 });
      const a = api.server.address();
      urls.push(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
    }
  }
  if (o.balanced ?? true) {
    const share = o.partitions / workers.length;
    await until(() => workers.every((w) => w.owned().length === share), 30_000, `each of ${workers.length} workers holding ${share} partitions`);
  }
  return set;
}
