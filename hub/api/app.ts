import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { closeQuietConnections } from '../../common/api/quiet-connections.ts';
import { registerDocs } from '../../common/api/docs.ts';
import { installValidation } from '../../common/api/validation.ts';
import { HUB_ERRORS } from '../errors.ts';
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
  /** Sees every route as it is added (the route-coverage test lists them with it). */
  onRoute?: (route: RouteOptions) => void;
}

const HUB_DOCS = {
  title: 'Safestar hub API',
  description: 'Cases from departments, device alarms for operators, public compound ratings, residents\u2019 reports. Errors carry a stable code (SS_…). Routes marked with a lock need `Authorization: Bearer TOKEN` (`safestar hub tokens add police|operator|officer`).',
  tags: [
    { name: 'cases', description: 'departments post and read their cases' },
    { name: 'alarms', description: 'operators confirm or dismiss device alarms' },
    { name: 'compounds', description: 'ratings, explanations and the audit of star changes' },
    { name: 'public', description: 'the public pages (一图, 一码) and their data' },
    { name: 'operations', description: 'health, version, metrics, dead letters' },
  ],
};

/** Build (not listen) the hub's HTTP API: tests call `inject` on it, the hub listens. */
export async function buildApi(ctx: ApiContext, plugins: readonly ApiPlugin[] = [], server: ApiServerOptions = {}): Promise<FastifyInstance> {
  const base = { logger: false, bodyLimit: 1_048_576, ...(server.trustProxy ? { trustProxy: server.trustProxy } : {}) };
  // fastify's https overload has its own instance type; the routes only need the common surface.
  const app = (server.https ? Fastify({ ...base, https: server.https }) : Fastify(base)) as unknown as FastifyInstance;
  closeQuietConnections(app);
  if (server.onRoute) app.addHook('onRoute', server.onRoute);
  installValidation(app, (reply, problems) =>
    reply.code(400).send({ code: 'SS_HUB_INVALID', message: `SS_HUB_INVALID: ${HUB_ERRORS.SS_HUB_INVALID}`, problems }));
  await registerDocs(app, HUB_DOCS);
  healthRoutes(app, ctx);
  compoundRoutes(app, ctx);
  deadLetterRoutes(app, ctx);
  for (const p of plugins) await p(app);
  return app;
}
