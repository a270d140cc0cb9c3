import Fastify, { type FastifyInstance } from 'fastify';
import { EDGE_CODES } from '../errors.ts';
import type { Registry } from 'prom-client';
import type { Event } from '../../protocol/event.ts';
import type { DeadLetterView } from '../outbox/outbox.ts';
import type { DeviceHealthView } from '../health/health.ts';
import type { TokenCheck } from './token.ts';

/**
 * The edge's local API for installers and station staff. Built separately from `listen` so
 * tests can use `inject`. Everything returned is bounded (limits clamp to 1..1000).
 */
export interface ApiSource {
  health(): Record<string, unknown>;
  devices(): DeviceHealthView[];
  device(id: string): DeviceHealthView | undefined;
  recent(limit: number, device?: string): Event[];
  deadLetters(limit: number, before?: number, device?: string): DeadLetterView[];
  /** Checks the Authorization header of protected endpoints (api/token.ts). */
  authorize: TokenCheck;
  metrics: Registry;
}

const clamp = (v: unknown, dflt: number): number => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1000) : dflt;
};

export function buildApi(src: ApiSource): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/health', async () => src.health());
  app.get('/devices', async () => ({ devices: src.devices() }));
  app.get<{ Params: { id: string } }>('/devices/:id', async (req, reply) => {
    const d = src.device(req.params.id);
    if (!d) return reply.code(404).send({ code: 'SS_API_NOT_FOUND', message: `device '${req.params.id.slice(0, 64)}' is not in the site config` });
    return d;
  });
  app.get<{ Querystring: { limit?: string; device?: string } }>('/events/recent', async (req) => ({
    events: src.recent(clamp(req.query.limit, 100), req.query.device),
  }));
  // Dead letters are what devices sent that could not be decoded: even masked, they are for the
  // site's operator only (issue 12).
  app.get<{ Querystring: { limit?: string; before?: string; device?: string } }>('/deadletters', async (req, reply) => {
    if (!(await src.authorize(req.headers.authorization))) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ code: 'SS_API_TOKEN', message: EDGE_CODES.SS_API_TOKEN });
    }
    const before = req.query.before === undefined ? undefined : Number(req.query.before);
    return { deadLetters: src.deadLetters(clamp(req.query.limit, 100), Number.isFinite(before) ? before : undefined, req.query.device) };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', src.metrics.contentType);
    return src.metrics.metrics();
  });
  return app;
}
