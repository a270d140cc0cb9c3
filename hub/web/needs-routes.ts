import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSafeId } from '../../protocol/ids.ts';
import type { Principal } from '../cases/auth.ts';
import type { WebContext } from './context.ts';
import { webError, type WebErrorBody, type WebErrorCode } from './errors.ts';
import { checkCheckin, checkReport } from './validate.ts';

type Req = FastifyRequest<{ Params: { id: string }; Querystring: { limit?: string } }>;

const limitOf = (raw: string | undefined): number => {
  const n = Number(raw ?? 100);
  return Number.isFinite(n) ? Math.max(1, Math.min(1000, Math.floor(n))) : 100;
};

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

  app.post('/api/compounds/:id/reports', async (req: Req, reply) => {
    // Validate before counting against the limit: a typo should not cost a resident a try.
    const checked = checkReport(req.body);
    if (!checked.ok) return fail(reply, 400, webError('SS_WEB_REPORT_INVALID', 'report body is invalid', checked.problems));
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    if (!w.limiter.take(req.ip)) return fail(reply, 429, webError('SS_WEB_RATE_LIMITED', 'limit reached'));
    const r = w.store.addReport(req.params.id, checked.value.category, checked.value.text, w.now());
    return reply.code(201).send({ id: r.id, compound: r.compound, category: r.category, at: r.at });
  });

  app.get('/api/compounds/:id/reports', async (req: Req, reply) => {
    const p = who(req, reply);
    if (!p) return reply;
    if (p.kind !== 'operator') return fail(reply, 403, webError('SS_WEB_FORBIDDEN', 'only operators list residents\u2019 reports'));
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    return w.store.reports(req.params.id, limitOf(req.query.limit));
  });

  app.post('/api/compounds/:id/checkins', async (req: Req, reply) => {
    const p = who(req, reply);
    if (!p) return reply;
    if (p.kind !== 'department' && p.kind !== 'officer') return fail(reply, 403, webError('SS_WEB_FORBIDDEN', 'check-ins need an officer or department token'));
    const checked = checkCheckin(req.body);
    if (!checked.ok) return fail(reply, 400, webError('SS_WEB_CHECKIN_INVALID', 'check-in body is invalid', checked.problems));
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    const c = w.store.addCheckin(req.params.id, p.department, checked.value.officer, checked.value.activity, w.now());
    return reply.code(201).send(c);
  });

  app.get('/api/compounds/:id/checkins', async (req: Req, reply) => {
    const p = who(req, reply);
    if (!p) return reply;
    if (p.kind !== 'operator') return fail(reply, 403, webError('SS_WEB_FORBIDDEN', 'only operators list check-ins'));
    if (!(await known(req))) return fail(reply, 404, webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    return w.store.checkins(req.params.id, limitOf(req.query.limit));
  });

  return { rejected };
}
