import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import type { TokenConfig } from '../../hub/cases/auth.ts';
import { buildClusterApi, type ClusterApiOptions } from '../../hub/cluster/api.ts';
import { partitionOf } from '../../hub/cluster/partition.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { PartitionWorker } from '../../hub/cluster/worker.ts';
import type { Policy } from '../../hub/policy/policy-schema.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import type { City } from '../../protocol/city.ts';
import { natsConnect, until } from './helpers.ts';

export interface ApiRig {
  cluster: NatsCluster;
  db: TempDatabase;
  pool: pg.Pool;
  /** One NATS connection per worker, each to a different server (a message between them crosses the NATS cluster). */
  ncs: NatsConnection[];
  workers: PartitionWorker[];
  apis: FastifyInstance[];
  urls: string[];
  /** Index (into workers/urls) of the worker owning the compound's partition now. */
  ownerIdx(compound: string): number;
  close(): Promise<void>;
}

export interface ApiRigOptions {
  prefix: string;
  city: City;
  policy: Policy;
  tokens: TokenConfig;
  now: () => number;
  partitions?: number;
  workers?: number;
  reviewMs?: number;
  web?: ClusterApiOptions['web'];
  trustedProxies?: ClusterApiOptions['trustedProxies'];
}

/**
 * Workers with their APIs in this process over a real 3-node NATS cluster and a throwaway
 * PostgreSQL database, the city registered as `safestar hub city` would: the set-up of the tests
 * that talk to workers over HTTP. Resolves when every worker holds its share of the partitions.
 */
export async function startApiRig(o: ApiRigOptions): Promise<ApiRig> {
  const partitions = o.partitions ?? 8;
  const n = o.workers ?? 2;
  const [cluster, db] = await Promise.all([startNatsCluster({ size: 3 }), createTempDatabase(o.prefix)]);
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  const ncs: NatsConnection[] = [];
  const workers: PartitionWorker[] = [];
  const apis: FastifyInstance[] = [];
  const urls: string[] = [];
  const close = async (): Promise<void> => {
    for (const a of apis) await a.close();
    for (const w of workers) await w.stop();
    for (const nc of ncs) await nc.close();
    await pool.end();
    await db.drop();
    await cluster.stop();
  };
  try {
    await migratePg(pool);
    for (let i = 0; i < n; i++) ncs.push(await natsConnect([cluster.servers[i % cluster.servers.length]!]));
    await ensureEventsStream(await jetstreamManager(ncs[0]!), { replicas: 3 });
    await new PgStateStore(pool).registerCity(o.city);
    for (let i = 0; i < n; i++) {
      const nc = ncs[i]!;
      const id = `w${String.fromCharCode(97 + i)}`;
      const w = new PartitionWorker({ id, nc, pool, partitions, leaseTtlMs: 3000, tickMs: 500, ackWaitMs: 4000, reviewMs: o.reviewMs ?? 1000, policy: o.policy, now: o.now });
      await w.start();
      workers.push(w);
      const api = await buildClusterApi({ pool, js: jetstream(nc), nc, policy: o.policy, tokens: o.tokens, partitions, workerId: id, now: o.now, ...(o.web ? { web: o.web } : {}), ...(o.trustedProxies ? { trustedProxies: o.trustedProxies } : {}) });
      await api.listen({ host: '127.0.0.1', port: 0 });
      const a = api.server.address();
      urls.push(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
      apis.push(api);
    }
    await until(() => workers.every((w) => w.owned().length === Math.ceil(partitions / n) || w.owned().length === Math.floor(partitions / n)) && workers.reduce((s, w) => s + w.owned().length, 0) === partitions, 30_000, 'every worker holding its share of the partitions');
  } catch (e) {
    // A set-up that failed half-way must not leave servers and databases behind.
    await close().catch(() => undefined);
    throw e;
  }
  return {
    cluster, db, pool, ncs, workers, apis, urls, close,
    ownerIdx: (compound) => workers.findIndex((w) => w.owned().some((h) => h.partition === partitionOf(compound, partitions))),
  };
}
