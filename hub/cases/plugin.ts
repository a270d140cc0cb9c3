import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IndexRating } from '../index/hub-rating.ts';
import { CaseAuth, type Principal, type TokenConfig } from './auth.ts';
import { caseError, type CaseErrorBody, type CaseErrorCode } from './errors.ts';
import { checkCase } from './validate.ts';
import { checkScope } from './scope.ts';
import { insights, monthKeys, INSIGHT_DEFAULTS } from './insights.ts';
import { isSafeId } from '../../protocol/ids.ts';

export interface CasesPluginOptions {
  engine: IndexRating;
  tokens: TokenConfig;
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
  const who = (req: FastifyRequest, reply: FastifyReply): Principal | undefined => {
    const p = auth.identify(req.headers.authorization);
    if (!p) void fail(reply, 401, caseError('SS_CASE_AUTH', auth.size === 0 ? 'no tokens are configured on this hub (SAFESTAR_DEPARTMENT_TOKENS, SAFESTAR_OPERATOR_TOKENS)' : 'missing or unknown token'));
    return p;
  };
  // Answers to token holders: the private view, with the cases behind a veto or downgrade.
  const ratingView = (id: string, previous: number | null | undefined) => {
    const c = engine.getPrivate(id);
    const d = c?.detail as { veto?: unknown; downgrades?: unknown; policyVersion?: string; reason?: string } | undefined;
    return c && { id, stars: c.stars, rated: c.rated, previousStars: previous ?? null, index: c.index, reason: d?.reason, veto: d?.veto ?? null, downgrades: d?.downgrades ?? [], policyVersion: d?.policyVersion };
  };

  return (app) => {
    app.post('/api/cases', async (req, reply) => {
      const p = who(req, reply);
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

    app.get<{ Params: { id: string } }>('/api/cases/:id', async (req, reply) => {
      const p = who(req, reply);
      if (!p) return reply;
      const c = isSafeId(req.params.id) ? engine.cases.getCase(req.params.id) : undefined;
      // Officers' tokens may only check in: they read no cases (issue 12).
      if (!c || p.kind === 'officer' || (p.kind === 'department' && p.department !== c.department)) {
        return fail(reply, 404, caseError('SS_CASE_NOT_FOUND', `'${req.params.id.slice(0, 64)}'`));
      }
      return { case: c, versions: engine.cases.caseVersions(c.id) };
    });

    const decide = (status: 'confirmed' | 'dismissed') => async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const p = who(req, reply);
      if (!p) return reply;
      if (p.kind !== 'operator') return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', 'only operators confirm or dismiss device alarms'));
      const r = engine.decideAlarm(req.params.id, status, 'operator');
      if (!r) return fail(reply, 404, caseError('SS_ALARM_UNKNOWN', `'${req.params.id.slice(0, 100)}'`));
      return { alarm: r.alarm, compound: ratingView(r.alarm.compound, undefined) };
    };
    app.post('/api/alarms/:id/confirm', decide('confirmed'));
    app.post('/api/alarms/:id/dismiss', decide('dismissed'));

    app.get<{ Querystring: { status?: string; compound?: string; limit?: string } }>('/api/alarms', async (req, reply) => {
      const p = who(req, reply);
      if (!p) return reply;
      // Every alarm of the city is for the operators who act on them, not for any department (issue 12).
      if (p.kind !== 'operator') return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', 'only operators list device alarms'));
      const status = req.query.status;
      if (status !== undefined && status !== 'pending' && status !== 'confirmed' && status !== 'dismissed') {
        return fail(reply, 400, caseError('SS_CASE_INVALID', `status must be pending, confirmed or dismissed, got '${status.slice(0, 20)}'`));
      }
      const n = Number(req.query.limit ?? 100);
      const limit = Number.isFinite(n) ? Math.max(1, Math.min(1000, Math.floor(n))) : 100;
      return engine.cases.listAlarms({ ...(status ? { status } : {}), ...(req.query.compound ? { compound: req.query.compound } : {}), limit });
    });

    app.put<{ Params: { id: string }; Body: { satisfaction?: unknown } }>('/api/compounds/:id/survey', async (req, reply) => {
      const p = who(req, reply);
      if (!p) return reply;
      if (p.kind !== 'operator') return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', 'only operators enter survey results'));
      if (!engine.hasCompound(req.params.id)) return fail(reply, 400, caseError('SS_CASE_UNKNOWN_COMPOUND', `'${req.params.id.slice(0, 64)}'`));
      const s = req.body?.satisfaction;
      if (typeof s !== 'number' || !(s >= 0 && s <= 1)) {
        return fail(reply, 400, caseError('SS_CASE_INVALID', 'satisfaction must be a fraction 0..1', [{ path: '/satisfaction', message: 'must be a number 0..1' }]));
      }
      engine.setSurvey(req.params.id, s);
      return { compound: ratingView(req.params.id, undefined) };
    });

    // The private explanation: case ids, departments and exact times, for operators and departments.
    app.get<{ Params: { id: string } }>('/api/compounds/:id/detail', async (req, reply) => {
      const p = who(req, reply);
      if (!p) return reply;
      const r = engine.hasCompound(req.params.id) ? engine.getPrivate(req.params.id) : undefined;
      if (!r) return fail(reply, 404, caseError('SS_CASE_UNKNOWN_COMPOUND', `'${req.params.id.slice(0, 64)}'`));
      return r;
    });

    // The audit names cases and who posted them: tokens only.
    app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/api/compounds/:id/audit', async (req, reply) => {
      const p = who(req, reply);
      if (!p) return reply;
      if (!engine.hasCompound(req.params.id)) return fail(reply, 404, caseError('SS_CASE_UNKNOWN_COMPOUND', `'${req.params.id.slice(0, 64)}'`));
      const n = Number(req.query.limit ?? 100);
      return engine.ratings.audit(req.params.id, Number.isFinite(n) ? Math.max(1, Math.min(1000, Math.floor(n))) : 100);
    });

    // 共性问题: counts per district and month only (no case id, compound or time), so it is public.
    app.get('/api/insights', async () => {
      const now = engine.now();
      const { start } = monthKeys(engine.policy, now, INSIGHT_DEFAULTS.months);
      const rows = engine.cases.problemRows(start, engine.policy.statuses.counting).flatMap((r) => {
        const district = engine.districtOf(r.compound);
        return district ? [{ district, source: r.source, kind: r.kind, at: r.at }] : [];
      });
      return { generatedAt: new Date(now).toISOString(), ...insights(engine.policy, rows, now) };
    });

    app.get('/api/index/stats', async () => ({
      policyVersion: engine.policy.version,
      rejected: Object.fromEntries(rejected),
      history: { queued: engine.history.depth(), written: engine.history.written, dropped: engine.history.dropped, deadLettered: engine.history.deadLettered },
    }));
  };
}
