import type { FastifyInstance } from 'fastify';
import { HUB_ERRORS } from '../errors.ts';
import type { ApiContext } from './context.ts';

/** GET /health: 200 when ok, 503 when degraded (load balancers and the demo read the status code). */
export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/health', async (_req, reply) => {
    const h = await ctx.health();
    return reply.code(h.status === 'ok' ? 200 : 503).send(h);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await ctx.metrics.metrics();
    return reply.type(ctx.metrics.contentType).send(text);
  });
}

export function compoundRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const at = (id: string): { lat: number | null; lon: number | null } => {
    const l = ctx.locations().get(id);
    return { lat: l?.lat ?? null, lon: l?.lon ?? null };
  };
  app.get('/api/compounds', async () =>
    ctx.rating.list().map(({ id, name, district, households, index, stars, updatedAt }) => ({ id, name, district, households, ...at(id), index, stars, updatedAt })),
  );
  app.get<{ Params: { id: string } }>('/api/compounds/:id', async (req, reply) => {
    const r = ctx.rating.get(req.params.id);
    if (!r) {
      return reply.code(404).send({
        code: 'SS_HUB_COMPOUND_UNKNOWN',
        message: `SS_HUB_COMPOUND_UNKNOWN: ${HUB_ERRORS.SS_HUB_COMPOUND_UNKNOWN} ('${req.params.id.slice(0, 100)}'); list them with GET /api/compounds`,
      });
    }
    return { ...r, ...at(r.id) };
  });
}

export function deadLetterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { limit?: string; reason?: string } }>('/api/deadletters', async (req, reply) => {
    // Dead letters keep what edges sent (up to 16 KiB each): for operators, not the public.
    if (!ctx.isOperator?.(req.headers.authorization)) {
      return reply.code(401).send({
        code: 'SS_HUB_AUTH',
        message: `SS_HUB_AUTH: ${HUB_ERRORS.SS_HUB_AUTH}; send 'Authorization: Bearer TOKEN' with a token from 'safestar hub tokens add operator'`,
      });
    }
    const n = Number(req.query.limit ?? 100);
    const limit = Number.isFinite(n) ? Math.max(1, Math.min(1000, Math.floor(n))) : 100;
    return ctx.deadLetters(limit, req.query.reason);
  });
}
