import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { AnyObject, BEARER, DEFAULT_LIMIT, ErrorBody, Limit } from '../../common/api/schemas.ts';
import { isSafeId } from '../../protocol/ids.ts';
import type { Problem } from '../../protocol/validate.ts';
import type { Principal } from '../cases/auth.ts';
import type { WebContext } from './context.ts';
import { webError, type WebErrorBody, type WebErrorCode } from './errors.ts';
import { CheckinSchema, checkCheckin, checkReport, ReportSchema } from './validate.ts';

type Req = FastifyRequest<{ Params: { id: string }; Querystring: { limit?: number } }>;

const Params = Type.Object({ id: Type.String({ description: 'compound id, e.g. c0001' }) });
const ListQuery = Type.Object({ limit: Type.Optional(Limit) });
const Created = (what: string) => AnyObject(what);

/**
 * Residents' safety needs and legal officers' check-ins (一码). Reports are open to anyone but
 * rate limited per address; listing them needs an operator token; a check-in needs a department
 * token (the officer's department is taken from the token, not from the body).
 */
export function needsRoutes(app: FastifyInstance, w: WebContext): { rejected: Map<WebErrorCode, number> } {
  const rejected = new Map<WebErrorCode, number>();
  const fail = (reply: FastifyReply, status: number, err: WebErrorBody) => {
    rejected.set(err.code, (rejected.get(err.code) ?? 0) + 1);
    return reply.code(status).send(err);
  };
  const known = async (req: Req): Promise<boolean> => isSafeId(req.params.id) && (await w.source.get(req.params.id)) !== undefined;
  const who = (req: Req, reply: FastifyReply): Principal | undefined => {
    const p = w.auth.identify(req.headers.authorization);
    if (!p) void fail(reply, 401, webError('SS_WEB_AUTH', w.auth.size === 0 ? 'no tokens are configured on this hub' : 'missing or unknown token'));
    return p;
  };

  const invalid = (code: WebErrorCode, detail: string) => ({ invalid: (reply: FastifyReply, problems: Problem[]) => fail(reply, 400, webError(code, detail, problems)) });
  // Before schema validation: strangers get 401/403, not a description of their request's faults.
  const gate = (allowed: readonly Principal['kind'][], why: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const p = who(req as Req, reply);
    if (!p) return reply;
    if (!allowed.includes(p.kind)) return fail(reply, 403, webError('SS_WEB_FORBIDDEN', why));
    return undefined;
  };
  const ONLY_OPERATORS_REPORTS = 'only operators list residents\u2019 reports';
  const CHECKIN_ROLES = 'check-ins need an officer or department token';

  app.post('/api/compounds/:id/reports', {
    schema: {
      tags: ['public'], summary: "a resident reports a safety need (no token; limited per client address)",
      params: Params, body: ReportSchema,
      response: { 201: Type.Object({ id: Type.Integer(), compound: Type.String(), category: Type.String(), at: Type.Integer() }), 400: ErrorBody, 404: ErrorBody, 429: ErrorBody },
    },
    config: invalid('SS_WEB_REPORT_INVALID', 'report body is invalid'),
  }, async (req: Req, reply) => {
    // Validate before counting against the limit: a typo should not cost a resident a try.
    const checked = checkReport(req.body);
    if (!checked.ok) return fail(reply, 400, webError('SS_WEB_REPORT_INVALID', 'report body is invalid', checked.problems));
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    if (!w.limiter.take(req.ip)) return fail(reply, 429, webError('SS_WEB_RATE_LIMITED', 'limit reached'));
    const r = await w.store.addReport(req.params.id, checked.value.category, checked.value.text, w.now());
    return reply.code(201).send({ id: r.id, compound: r.compound, category: r.category, at: r.at });
  });

  app.get('/api/compounds/:id/reports', {
    schema: {
      tags: ['public'], summary: "residents' reports of a compound, newest first (operator token)", security: BEARER,
      params: Params, querystring: ListQuery,
      response: { 200: Type.Array(AnyObject('a report: id, compound, category, text, at')), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
    config: invalid('SS_WEB_REPORT_INVALID', 'limit must be an integer 1–1000'),
    preValidation: gate(['operator'], ONLY_OPERATORS_REPORTS),
  }, async (req: Req, reply) => {
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    return await w.store.reports(req.params.id, req.query.limit ?? DEFAULT_LIMIT);
  });

  app.post('/api/compounds/:id/checkins', {
    schema: {
      tags: ['public'], summary: "a legal officer checks in at a compound (officer or department token; the department comes from the token)", security: BEARER,
      params: Params, body: CheckinSchema,
      response: { 201: Created('the check-in: id, compound, department, officer, activity, at'), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
    config: invalid('SS_WEB_CHECKIN_INVALID', 'check-in body is invalid'),
    preValidation: gate(['department', 'officer'], CHECKIN_ROLES),
  }, async (req: Req, reply) => {
    const p = who(req, reply);
    if (!p) return reply;
    if (p.kind !== 'department' && p.kind !== 'officer') return fail(reply, 403, webError('SS_WEB_FORBIDDEN', CHECKIN_ROLES));
    const checked = checkCheckin(req.body);
    if (!checked.ok) return fail(reply, 400, webError('SS_WEB_CHECKIN_INVALID', 'check-in body is invalid', checked.problems));
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    const c = await w.store.addCheckin(req.params.id, p.department, checked.value.officer, checked.value.activity, w.now());
    return reply.code(201).send(c);
  });

  app.get('/api/compounds/:id/checkins', {
    schema: {
      tags: ['public'], summary: 'check-ins at a compound, newest first (operator token)', security: BEARER,
      params: Params, querystring: ListQuery,
      response: { 200: Type.Array(AnyObject('a check-in: id, compound, department, officer, activity, at')), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
    config: invalid('SS_WEB_CHECKIN_INVALID', 'limit must be an integer 1–1000'),
    preValidation: gate(['operator'], 'only operators list check-ins'),
  }, async (req: Req, reply) => {
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    return await w.store.checkins(req.params.id, req.query.limit ?? DEFAULT_LIMIT);
  });

  return { rejected };
}
