import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { BEARER, DEFAULT_LIMIT, ErrorBody, Limit, textResponse } from '../../common/api/schemas.ts';
import { versionInfo } from '../../common/version.ts';
import { HUB_ERRORS } from '../errors.ts';
import type { ApiContext } from './context.ts';
import { CompoundSchema, DeadLetterSchema, HealthSchema, VersionSchema } from './schemas.ts';

/** GET /health: 200 when ok, 503 when degraded (load balancers and the demo read the status code). */
export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/health', {
    schema: { tags: ['operations'], summary: 'hub health (public): InfluxDB, queue, counters', response: { 200: HealthSchema, 503: HealthSchema } },
  }, async (_req, reply) => {
    const h = await ctx.health();
    return reply.code(h.status === 'ok' ? 200 : 503).send(h);
  });
  // Same policy as /health: public, it names a version and nothing else.
  app.get('/version', {
    schema: { tags: ['operations'], summary: 'product version (public, like /health)', response: { 200: VersionSchema } },
  }, async () => versionInfo('hub'));
  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics (public: counts only)', response: { 200: textResponse('text/plain', 'Prometheus text exposition format') } },
  }, async (_req, reply) => {
    const text = await ctx.metrics.metrics();
    return reply.type(ctx.metrics.contentType).send(text);
  });
}

export function compoundRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const at = (id: string): { lat: number | null; lon: number | null } => {
    const l = ctx.locations().get(id);
    return { lat: l?.lat ?? null, lon: l?.lon ?? null };
  };
  app.get('/api/compounds', {
    schema: { tags: ['compounds'], summary: "every compound's index and stars (public)", response: { 200: Type.Array(CompoundSchema) } },
  }, async () =>
    ctx.rating.list().map(({ id, name, district, households, index, stars, updatedAt }) => ({ id, name, district, households, ...at(id), index, stars, updatedAt })),
  );
  app.get<{ Params: { id: string } }>('/api/compounds/:id', {
    schema: {
      tags: ['compounds'], summary: "one compound's rating (public)",
      params: Type.Object({ id: Type.String({ description: 'compound id, e.g. c0001' }) }),
      response: { 200: CompoundSchema, 404: ErrorBody },
    },
  }, async (req, reply) => {
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

const authError = {
  code: 'SS_HUB_AUTH',
  message: `SS_HUB_AUTH: ${HUB_ERRORS.SS_HUB_AUTH}; send 'Authorization: Bearer TOKEN' with a token from 'safestar hub tokens add operator'`,
} as const;

export function deadLetterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { limit?: number; reason?: string } }>('/api/deadletters', {
    schema: {
      tags: ['operations'], summary: 'dead letters: what edges sent that the hub could not accept (operator token)', security: BEARER,
      querystring: Type.Object({ limit: Type.Optional(Limit), reason: Type.Optional(Type.String({ maxLength: 64, description: 'only this SS_DL_… reason' })) }),
      response: { 200: Type.Array(DeadLetterSchema), 400: ErrorBody, 401: ErrorBody },
    },
    // Dead letters keep what edges sent (up to 16 KiB each): for operators, not the public. The
    // token is checked before the query, so a stranger learns nothing from a validation answer.
    preValidation: async (req, reply) => {
      if (!ctx.isOperator?.(req.headers.authorization)) return reply.code(401).send(authError);
    },
  }, async (req) => ctx.deadLetters(req.query.limit ?? DEFAULT_LIMIT, req.query.reason));
}
