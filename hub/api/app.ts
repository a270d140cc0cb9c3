import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiContext } from './context.ts';
import { compoundRoutes, deadLetterRoutes, healthRoutes } from './routes.ts';

/** A route plugin another part registers on the hub's API (e.g. hub/cases, the index engine). */
export type ApiPlugin = (app: FastifyInstance) => void | Promise<void>;

/** Build (not listen) the hub's HTTP API: tests call `inject` on it, the hub listens. */
export async function buildApi(ctx: ApiContext, plugins: readonly ApiPlugin[] = []): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  healthRoutes(app, ctx);
  compoundRoutes(app, ctx);
  deadLetterRoutes(app, ctx);
  for (const p of plugins) await p(app);
  return app;
}
