import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiContext } from './context.ts';
import { compoundRoutes, deadLetterRoutes, healthRoutes } from './routes.ts';

/** A route plugin another part registers on the hub's API (e.g. hub/cases, the index engine). */
export type ApiPlugin = (app: FastifyInstance) => void | Promise<void>;

export interface ApiServerOptions {
  /** PEM key and certificate: serve https. */
  https?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed (then `req.ip` is the
   * client behind them). Never `true`: any client could then pick its own address and walk past
   * the per-address limits.
   */
  trustProxy?: string[];
}

/** Build (not listen) the hub's HTTP API: tests call `inject` on it, the hub listens. */
export async function buildApi(ctx: ApiContext, plugins: readonly ApiPlugin[] = [], server: ApiServerOptions = {}): Promise<FastifyInstance> {
  const base = { logger: false, bodyLimit: 1_048_576, ...(server.trustProxy ? { trustProxy: server.trustProxy } : {}) };
  // fastify's https overload has its own instance type; the routes only need the common surface.
  const app = (server.https ? Fastify({ ...base, https: server.https }) : Fastify(base)) as unknown as FastifyInstance;
  healthRoutes(app, ctx);
  compoundRoutes(app, ctx);
  deadLetterRoutes(app, ctx);
  for (const p of plugins) await p(app);
  return app;
}
