import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import Type from 'typebox';
import type { Registry } from 'prom-client';
import { registerDocs } from '../../common/api/docs.ts';
import { AnyObject, BEARER, DEFAULT_LIMIT, ErrorBody, Limit, textResponse } from '../../common/api/schemas.ts';
import { installValidation } from '../../common/api/validation.ts';
import { versionInfo } from '../../common/version.ts';
import type { Event } from '../../protocol/event.ts';
import { EDGE_CODES } from '../errors.ts';
import type { DeadLetterView } from '../outbox/outbox.ts';
import type { DeviceHealthView } from '../health/health.ts';
import type { TokenCheck } from './token.ts';

/**
 * The edge's local API for installers and station staff. Built separately from `listen` so
 * tests can use `inject`. Everything returned is bounded (the schemas cap limits at 1000).
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
  /** Sees every route as it is added (the route-coverage test lists them with it). */
  onRoute?: (route: RouteOptions) => void;
}

const Device = Type.String({ maxLength: 128, description: 'device id, e.g. c0001-acc-01' });
const DeviceSchema = AnyObject('device health: online, connected, lastSeen, lastEvent, lastError, clock, counters');
const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    reasons: Type.Array(Type.String(), { description: 'why degraded: uplink-down, devices-offline, outbox-full, scorer-off' }),
  },
  { additionalProperties: true, description: 'uplink, outbox, devices, scorer, OPC UA connectors, counters' },
);

export async function buildApi(src: ApiSource): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  if (src.onRoute) app.addHook('onRoute', src.onRoute);
  installValidation(app, (reply, problems) => reply.code(400).send({ code: 'SS_API_INVALID', message: `SS_API_INVALID: ${EDGE_CODES.SS_API_INVALID}`, problems }));
  await registerDocs(app, {
    title: 'Safestar edge API',
    description: "An edge node's local API for installers and station staff (binds 127.0.0.1 unless api.host says otherwise). /deadletters needs `Authorization: Bearer TOKEN` (`safestar edge token`).",
  });
  app.get('/health', {
    schema: { summary: 'edge health: status and why, uplink, outbox, devices, scorer', response: { 200: Health } },
  }, async () => src.health());
  // Same policy as /health on this server: public on the local API.
  app.get('/version', {
    schema: { summary: 'product version', response: { 200: Type.Object({ name: Type.String(), service: Type.String(), version: Type.String(), node: Type.String() }) } },
  }, async () => versionInfo('edge'));
  app.get('/devices', {
    schema: { summary: 'every configured device and its health', response: { 200: Type.Object({ devices: Type.Array(DeviceSchema) }) } },
  }, async () => ({ devices: src.devices() }));
  app.get<{ Params: { id: string } }>('/devices/:id', {
    schema: { summary: 'one device: did the edge accept and decode what it sent?', params: Type.Object({ id: Device }), response: { 200: DeviceSchema, 400: ErrorBody, 404: ErrorBody } },
  }, async (req, reply) => {
    const d = src.device(req.params.id);
    if (!d) return reply.code(404).send({ code: 'SS_API_NOT_FOUND', message: `device '${req.params.id.slice(0, 64)}' is not in the site config` });
    return d;
  });
  app.get<{ Querystring: { limit?: number; device?: string } }>('/events/recent', {
    schema: {
      summary: 'the newest committed events (canonical Event v1, personal data already hashed)',
      querystring: Type.Object({ limit: Type.Optional(Limit), device: Type.Optional(Device) }),
      response: { 200: Type.Object({ events: Type.Array(AnyObject('an Event v1')) }), 400: ErrorBody },
    },
  }, async (req) => ({ events: src.recent(req.query.limit ?? DEFAULT_LIMIT, req.query.device) }));
  // Dead letters are what devices sent that could not be decoded: even masked, they are for the
  // site's operator only (issue 12). The token is checked before the query is validated.
  app.get<{ Querystring: { limit?: number; before?: number; device?: string } }>('/deadletters', {
    schema: {
      summary: 'device messages the edge could not accept, with their reason codes (bearer token)', security: BEARER,
      querystring: Type.Object({ limit: Type.Optional(Limit), before: Type.Optional(Type.Number({ description: 'only older than this record id' })), device: Type.Optional(Device) }),
      response: { 200: Type.Object({ deadLetters: Type.Array(AnyObject('a dead letter: id, at, device, topic, code, reason, payload (masked)')) }), 400: ErrorBody, 401: ErrorBody },
    },
    preValidation: async (req, reply) => {
      if (!(await src.authorize(req.headers.authorization))) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ code: 'SS_API_TOKEN', message: EDGE_CODES.SS_API_TOKEN });
      }
      return undefined;
    },
  }, async (req) => ({ deadLetters: src.deadLetters(req.query.limit ?? DEFAULT_LIMIT, req.query.before, req.query.device) }));
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics', response: { 200: textResponse('text/plain', 'Prometheus text exposition format') } },
  }, async (_req, reply) => {
    reply.header('content-type', src.metrics.contentType);
    return src.metrics.metrics();
  });
  return app;
}
