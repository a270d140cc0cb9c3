import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { AnyObject, BEARER, DEFAULT_LIMIT, ErrorBody, Limit } from '../../common/api/schemas.ts';
import type { Problem } from '../../protocol/validate.ts';
import { AlarmDecisionReply, AlarmSchema, AlarmStatus, CasePostReply, CaseVersionSchema, IdParams, RatingViewSchema, StoredCaseSchema } from '../cases/schemas.ts';
import type { IndexRating } from './hub-rating.ts';
import { CaseAuth, type Principal, type TokenConfig } from '../cases/auth.ts';
import { caseError, type CaseErrorBody, type CaseErrorCode } from '../cases/errors.ts';
import { CaseBodySchema, checkCase } from '../cases/validate.ts';
import { checkScope } from '../cases/scope.ts';
import { insights, monthKeys, INSIGHT_DEFAULTS } from '../cases/insights.ts';
import { isSafeId } from '../../protocol/ids.ts';

export interface CasesPluginOptions {
  engine: IndexRating;
  tokens: TokenConfig;
  /** The console's operator sessions (cookie + CSRF header), accepted where no bearer token is sent. */
  sessions?: { principal(req: FastifyRequest): Promise<Principal | undefined> };
}

/**
 * The cases API (issue 6) as a fastify plugin for the hub: departments post cases, operators
 * confirm or dismiss device alarms. Every change re-rates its compound before the reply, so the
 * answer already shows the new stars and why.
 */
export function casesPlugin(opts: CasesPluginOptions): (app: FastifyInstance) => void {
  const { engine } = opts;
  const auth = new CaseAuth(opts.tokens);
  const rejected = new Map<CaseErrorCode, number>();

  const fail = (reply: FastifyReply, status: number, err: CaseErrorBody) => {
    rejected.set(err.code, (rejected.get(err.code) ?? 0) + 1);
    return reply.code(status).send(err);
  };
  const who = async (req: FastifyRequest, reply: FastifyReply): Promise<Principal | undefined> => {
    const p = auth.identify(req.headers.authorization) ?? (req.headers.authorization ? undefined : await opts.sessions?.principal(req));
    if (!p) void fail(reply, 401, caseError('SS_CASE_AUTH', auth.size === 0 ? 'no tokens are configured on this hub (SAFESTAR_DEPARTMENT_TOKENS, SAFESTAR_OPERATOR_TOKENS)' : 'missing or unknown token'));
    return p;
  };
  // Answers to token holders: the private view, with the cases behind a veto or downgrade.
  const ratingView = (id: string, previous: number | null | undefined) => {
    const c = engine.getPrivate(id);
    const d = c?.detail as { veto?: unknown; downgrades?: unknown; policyVersion?: string; reason?: string } | undefined;
    return c && { id, stars: c.stars, rated: c.rated, previousStars: previous ?? null, index: c.index, reason: d?.reason, veto: d?.veto ?? null, downgrades: d?.downgrades ?? [], policyVersion: d?.policyVersion };
  };

  /**
   * Runs before schema validation (fastify preValidation): a caller without a token, or with one
   * whose role may not use the route, gets 401/403 and never a description of what was wrong
   * with the request.
   */
  const gate = (allowed?: Principal['kind'], why = '') => async (req: FastifyRequest, reply: FastifyReply) => {
    const p = await who(req, reply);
    if (!p) return reply;
    if (allowed && p.kind !== allowed) return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', why));
    return undefined;
  };
  const invalid = (detail: string) => ({ invalid: (reply: FastifyReply, problems: Problem[]) => fail(reply, 400, caseError('SS_CASE_INVALID', detail, problems)) });
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
  const ONLY_OPERATORS_DECIDE = 'only operators confirm or dismiss device alarms';

  return (app) => {
    app.post('/api/cases', {
      schema: {
        tags: ['cases'], summary: "post or update a department's case; the compound is re-rated before the reply", security: BEARER,
        description: 'Department token (`safestar hub tokens add police`). Posting the same id again updates the case (a new version) or answers `unchanged`. Unknown category, compound or status: 400 with its code, nothing stored.',
        body: CaseBodySchema,
        response: { 200: CasePostReply, 201: CasePostReply, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
      config: invalid('case body is invalid'),
      preValidation: gate(),
    }, async (req, reply) => {
      const p = await who(req, reply);
      if (!p) return reply;
      const now = engine.now();
      const checked = checkCase(engine.policy, req.body, (id) => engine.hasCompound(id), now);
      if (!checked.ok) return fail(reply, checked.status, checked.error);
      const c = checked.value;
      if (p.kind !== 'department' || p.department !== c.department) {
        return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', `this token may not post cases for department '${c.department}'`));
      }
      const scope = checkScope(engine.policy, p.department, c.category);
      if (!scope.ok) return fail(reply, scope.status, scope.error);
      const existing = engine.cases.getCase(c.id);
      if (existing && existing.department !== c.department) {
        return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', `case '${c.id}' belongs to department '${existing.department}'`));
      }
      const { result, before } = engine.recordCase({ ...c, postedBy: p.department });
      const compounds = [...before].map(([id, prev]) => ratingView(id, prev));
      return reply.code(result.kind === 'created' ? 201 : 200).send({ result: result.kind, case: result.stored, compounds });
    });

    app.get<{ Params: { id: string } }>('/api/cases/:id', {
      schema: {
        tags: ['cases'], summary: "a case and its versions (the owning department's token, or an operator's)", security: BEARER,
        params: IdParams('case id'),
        response: { 200: Type.Object({ case: StoredCaseSchema, versions: Type.Array(CaseVersionSchema) }), 401: ErrorBody, 404: ErrorBody },
      },
    }, async (req, reply) => {
      const p = await who(req, reply);
      if (!p) return reply;
      const c = isSafeId(req.params.id) ? engine.cases.getCase(req.params.id) : undefined;
      // Officers' tokens may only check in: they read no cases (issue 12).
      if (!c || p.kind === 'officer' || (p.kind === 'department' && p.department !== c.department)) {
        return fail(reply, 404, caseError('SS_CASE_NOT_FOUND', `'${req.params.id.slice(0, 64)}'`));
      }
      return { case: c, versions: engine.cases.caseVersions(c.id) };
    });

    const decide = (status: 'confirmed' | 'dismissed') => async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const p = await who(req, reply);
      if (!p) return reply;
      if (p.kind !== 'operator') return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', ONLY_OPERATORS_DECIDE));
      const r = engine.decideAlarm(req.params.id, status, 'operator');
      if (!r) return fail(reply, 404, caseError('SS_ALARM_UNKNOWN', `'${req.params.id.slice(0, 100)}'`));
      return { alarm: r.alarm, compound: ratingView(r.alarm.compound, undefined) };
    };
    for (const [verb, status] of [['confirm', 'confirmed'], ['dismiss', 'dismissed']] as const) {
      app.post(`/api/alarms/:id/${verb}`, {
        schema: {
          tags: ['alarms'], summary: `${verb} a device alarm (operator token); the compound is re-rated before the reply`, security: BEARER,
          description: 'Device alarms count towards the index only once an operator has confirmed them.',
          params: IdParams('alarm id (GET /api/alarms?status=pending)'),
          response: { 200: AlarmDecisionReply, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      }, decide(status));
    }

    app.get<{ Querystring: { status?: 'pending' | 'confirmed' | 'dismissed'; compound?: string; limit?: number } }>('/api/alarms', {
      schema: {
        tags: ['alarms'], summary: 'device alarms of the city, newest first (operator token)', security: BEARER,
        querystring: Type.Object({ status: Type.Optional(AlarmStatus), compound: Type.Optional(Type.String({ maxLength: 64 })), limit: Type.Optional(Limit) }),
        response: { 200: Type.Array(AlarmSchema), ...errors },
      },
      config: invalid('status must be pending, confirmed or dismissed; limit 1–1000'),
      // Every alarm of the city is for the operators who act on them, not for any department (issue 12).
      preValidation: gate('operator', 'only operators list device alarms'),
    }, async (req) => {
      const { status, compound } = req.query;
      return engine.cases.listAlarms({ ...(status ? { status } : {}), ...(compound ? { compound } : {}), limit: req.query.limit ?? DEFAULT_LIMIT });
    });

    app.put<{ Params: { id: string }; Body: { satisfaction: number } }>('/api/compounds/:id/survey', {
      schema: {
        tags: ['compounds'], summary: "enter a compound's resident survey result (operator token)", security: BEARER,
        params: IdParams('compound id'),
        body: Type.Object({ satisfaction: Type.Number({ minimum: 0, maximum: 1, description: 'share of satisfied residents, 0..1' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ compound: RatingViewSchema }), ...errors },
      },
      config: invalid('satisfaction must be a fraction 0..1'),
      preValidation: gate('operator', 'only operators enter survey results'),
    }, async (req, reply) => {
      if (!engine.hasCompound(req.params.id)) return fail(reply, 400, caseError('SS_CASE_UNKNOWN_COMPOUND', `'${req.params.id.slice(0, 64)}'`));
      engine.setSurvey(req.params.id, req.body.satisfaction);
      return { compound: ratingView(req.params.id, undefined) };
    });

    // The private explanation: case ids, departments and exact times, for operators and departments.
    app.get<{ Params: { id: string } }>('/api/compounds/:id/detail', {
      schema: {
        tags: ['compounds'], summary: "a compound's private explanation: case ids, departments, exact times (any token)", security: BEARER,
        params: IdParams('compound id'),
        response: { 200: AnyObject("the engine's private rating with its detail"), 401: ErrorBody, 404: ErrorBody },
      },
    }, async (req, reply) => {
      const p = await who(req, reply);
      if (!p) return reply;
      const r = engine.hasCompound(req.params.id) ? engine.getPrivate(req.params.id) : undefined;
      if (!r) return fail(reply, 404, caseError('SS_CASE_UNKNOWN_COMPOUND', `'${req.params.id.slice(0, 64)}'`));
      return r;
    });

    // The audit names cases and who posted them: tokens only.
    app.get<{ Params: { id: string }; Querystring: { limit?: number } }>('/api/compounds/:id/audit', {
      schema: {
        tags: ['compounds'], summary: "the audit of a compound's star changes, newest first (any token)", security: BEARER,
        params: IdParams('compound id'),
        querystring: Type.Object({ limit: Type.Optional(Limit) }),
        response: { 200: Type.Array(AnyObject('one star change: when, from, to, why')), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
      config: invalid('limit must be an integer 1–1000'),
      preValidation: gate(),
    }, async (req, reply) => {
      if (!engine.hasCompound(req.params.id)) return fail(reply, 404, caseError('SS_CASE_UNKNOWN_COMPOUND', `'${req.params.id.slice(0, 64)}'`));
      return engine.ratings.audit(req.params.id, req.query.limit ?? DEFAULT_LIMIT);
    });

    // 共性问题: counts per district and month only (no case id, compound or time), so it is public.
    app.get('/api/insights', {
      schema: { tags: ['public'], summary: '共性问题: counts of problems per district and month (public; no case id, compound or time)', response: { 200: AnyObject('generatedAt and the counts per district, source, kind and month') } },
    }, async () => {
      const now = engine.now();
      const { start } = monthKeys(engine.policy, now, INSIGHT_DEFAULTS.months);
      const rows = engine.cases.problemRows(start, engine.policy.statuses.counting).flatMap((r) => {
        const district = engine.districtOf(r.compound);
        return district ? [{ district, source: r.source, kind: r.kind, at: r.at }] : [];
      });
      return { generatedAt: new Date(now).toISOString(), ...insights(engine.policy, rows, now) };
    });

    app.get('/api/index/stats', {
      schema: {
        tags: ['operations'], summary: 'the index engine: policy version, refusals by code, history writer (public: counts only)',
        response: { 200: Type.Object({ policyVersion: Type.String(), rejected: Type.Record(Type.String(), Type.Integer()), history: Type.Object({ queued: Type.Integer(), written: Type.Integer(), dropped: Type.Integer() }) }) },
      },
    }, async () => ({
      policyVersion: engine.policy.version,
      rejected: Object.fromEntries(rejected),
      history: { queued: engine.history.depth(), written: engine.history.written, dropped: engine.history.dropped, deadLettered: engine.history.deadLettered },
    }));
  };
}
