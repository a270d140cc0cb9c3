import type { FastifyInstance } from 'fastify';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { installValidation } from '../../common/api/validation.ts';
import { HUB_ERRORS } from '../errors.ts';
import type { Policy } from '../policy/policy-schema.ts';
import type { CompoundRow } from '../store/stateDb.ts';
import { LiveFanout } from '../web/live-changes.ts';
import { PgWebStore } from '../web/pg-store.ts';
import { serveWeb, type WebPagesOptions } from '../web/plugin.ts';
import { pgRatingSource } from './api-public.ts';
import { NatsLiveChanges } from './live.ts';

export interface ClusterWebOptions extends Omit<WebPagesOptions, 'source' | 'districts'> {
  pool: pg.Pool;
  policy: Policy;
  now: () => number;
  /** The worker's NATS connection: the live page updates of every owner arrive on it (live.ts). Absent: the streams only greet. */
  nc?: NatsConnection;
  /** How long compounds' locations and district names are reused (they change rarely: a city file). */
  cacheMs?: number;
}

/** A PostgreSQL read reused for `ttlMs` (a cache age: the real clock), one load in flight at a time; a failed load is not kept. */
function cached<T>(load: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let at = -Infinity;
  let value: T | undefined;
  let loading: Promise<T> | undefined;
  return async () => {
    if (value !== undefined && performance.now() - at < ttlMs) return value;
    loading ??= load()
      .then((v) => {
        value = v;
        at = performance.now();
        return v;
      })
      .finally(() => (loading = undefined));
    return loading;
  };
}

/**
 * The public pages (/map, /c/:id, their scripts, the QR code, reports, check-ins, the live stream)
 * on a cluster worker: hub/web's routes over PostgreSQL (ratings, compounds, district names,
 * reports and check-ins) and NATS (changes from every owner). Same tokens, limits, validation and
 * error bodies as the embedded hub: the same code. Registered in its own fastify context so its
 * validation (TypeBox, the routes' own error codes) stays with these routes.
 */
export function clusterWebPages(o: ClusterWebOptions): (app: FastifyInstance) => void {
  const ttl = o.cacheMs ?? 10_000;
  const locations = cached(async () => {
    const rows = (await o.pool.query<CompoundRow>('SELECT id, name, district, households, lat, lon FROM compounds')).rows;
    return new Map(rows.map((c) => [c.id, c]));
  }, ttl);
  const districtNames = cached(async () => new Map((await o.pool.query<{ id: string; name: string }>('SELECT id, name FROM districts')).rows.map((r) => [r.id, r.name])), ttl);
  return (app) => {
    void app.register(async (sub) => {
      installValidation(sub, (reply, problems) => reply.code(400).send({ code: 'SS_HUB_INVALID', message: `SS_HUB_INVALID: ${HUB_ERRORS.SS_HUB_INVALID}`, problems }));
      const changes = o.nc ? new NatsLiveChanges(o.nc) : new LiveFanout();
      sub.addHook('onClose', async () => {
        if (changes instanceof NatsLiveChanges) changes.close();
      });
      serveWeb(sub, o, { source: pgRatingSource(o), locations, districtNames, store: new PgWebStore(o.pool), changes, now: o.now });
    });
  };
}
