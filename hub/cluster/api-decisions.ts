import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JetStreamClient } from '@nats-io/jetstream';
import type pg from 'pg';
import type { CaseAuth, Principal } from '../cases/auth.ts';
import { caseError, type CaseErrorBody } from '../cases/errors.ts';
import type { AlarmRow, AlarmStatus } from '../cases/store.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { isSafeId } from '../../protocol/ids.ts';
import { publishDecision } from './decision-message.ts';
import { PgAlarmStore } from './decision-stores.ts';

export interface DecisionRoutesOptions {
  pool: pg.Pool;
  js: JetStreamClient;
  policy: Policy;
  auth: CaseAuth;
  partitions: number;
  now: () => number;
  /** How long a decision waits for the compound's owner before answering 202 (it is in the stream). */
  ownerWaitMs: number;
  /** The console's operator sessions (cookie + CSRF header), accepted where no bearer token is sent. */
  sessions?: { principal(req: FastifyRequest): Promise<Principal | undefined> };
}

const STATUSES: readonly AlarmStatus[] = ['pending', 'confirmed', 'dismissed'];
const DEFAULT_LIMIT = 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The operators' routes of the embedded hub (hub/index/cases-plugin.ts) on a cluster worker, with the
 * same tokens, refusals and error codes: confirm/dismiss a device alarm, list alarms, enter a
 * survey result. A decision is published onto the compound's partition and applied by its owner
 * (decision-message.ts); the answer waits for the owner like a posted case does. Alarms are the
 * ones the embedded hub opens: types the policy weighs.
 */
export function decisionRoutes(o: DecisionRoutesOptions): (app: FastifyInstance) => void {
  const alarms = new PgAlarmStore(o.pool);
  const weighed = (type: string): boolean => Object.hasOwn(o.policy.iot.weights, type);
  const fail = (reply: FastifyReply, status: number, err: CaseErrorBody) => reply.code(status).send(err);
  /** 401 without a known token, 403 for a token that is not an operator's; true when allowed. */
  const operator = async (req: FastifyRequest, reply: FastifyReply, why: string): Promise<boolean> => {
    const p = o.auth.identify(req.headers.authorization) ?? (req.headers.authorization ? undefined : await o.sessions?.principal(req));
    if (!p) {
      void fail(reply, 401, caseError('SS_CASE_AUTH', o.auth.size === 0 ? 'no tokens are configured on this worker (SAFESTAR_DEPARTMENT_TOKENS, SAFESTAR_OPERATOR_TOKENS)' : 'missing or unknown token'));
      return false;
    }
    if (p.kind !== 'operator') {
      void fail(reply, 403, caseError('SS_CASE_FORBIDDEN', why));
      return false;
    }
    return true;
  };
  const ratingOf = async (compound: string) => {
    const r = (await o.pool.query<{ stars: number | null; index: number }>('SELECT stars, index FROM compound_ratings WHERE compound = $1', [compound])).rows[0];
    return { id: compound, stars: r?.stars ?? null, index: r?.index ?? null };
  };
  const waitFor = async (done: () => Promise<boolean>): Promise<boolean> => {
    const deadline = performance.now() + o.ownerWaitMs;
    while (performance.now() < deadline) {
      if (await done()) return true;
      await sleep(50);
    }
    return false;
  };

  return (app) => {
    for (const [verb, status] of [['confirm', 'confirmed'], ['dismiss', 'dismissed']] as const) {
      app.post<{ Params: { id: string } }>(`/api/alarms/:id/${verb}`, async (req, reply) => {
        if (!(await operator(req, reply, 'only operators confirm or dismiss device alarms'))) return reply;
        const prev = isSafeId(req.params.id) ? await alarms.get(req.params.id) : undefined;
        if (!prev || !weighed(prev.type)) return fail(reply, 404, caseError('SS_ALARM_UNKNOWN', `'${req.params.id.slice(0, 100)}'`));
        if (prev.status === status) return { alarm: prev, compound: await ratingOf(prev.compound) };
        const at = o.now();
        const pub = await publishDecision(o.js, { alarm: { id: prev.id, compound: prev.compound, status, by: 'operator', at } }, o.partitions);
        let now: AlarmRow | undefined;
        if (await waitFor(async () => (now = await alarms.get(prev.id))?.status === status)) return { alarm: now, compound: await ratingOf(prev.compound) };
        return reply.code(202).send({ result: 'accepted', alarm: { ...prev, status }, partition: pub.partition });
      });
    }

    app.get<{ Querystring: { status?: string; compound?: string; limit?: string } }>('/api/alarms', async (req, reply) => {
      if (!(await operator(req, reply, 'only operators list device alarms'))) return reply;
      const { status, compound } = req.query;
      const limit = req.query.limit === undefined ? DEFAULT_LIMIT : Number(req.query.limit);
      if ((status !== undefined && !STATUSES.includes(status as AlarmStatus)) || !Number.isInteger(limit) || limit < 1 || limit > 1000 || (compound !== undefined && compound.length > 64)) {
        return fail(reply, 400, caseError('SS_CASE_INVALID', 'status must be pending, confirmed or dismissed; limit 1–1000'));
      }
      // Over-fetch, then keep the alarm types the embedded hub opens: rows of builds before the shared
      // rule (hub/index/alarm-rule.ts) may be of other types (they were opened by severity).
      const rows = await alarms.list({ ...(status ? { status: status as AlarmStatus } : {}), ...(compound ? { compound } : {}), limit: limit * 2 });
      return rows.filter((a) => weighed(a.type)).slice(0, limit);
    });

    app.put<{ Params: { id: string }; Body: unknown }>('/api/compounds/:id/survey', async (req, reply) => {
      if (!(await operator(req, reply, 'only operators enter survey results'))) return reply;
      const b = req.body as { satisfaction?: unknown } | null;
      const s = b?.satisfaction;
      if (typeof b !== 'object' || b === null || Object.keys(b).length !== 1 || typeof s !== 'number' || !(s >= 0 && s <= 1)) {
        return fail(reply, 400, caseError('SS_CASE_INVALID', 'satisfaction must be a fraction 0..1'));
      }
      const id = req.params.id;
      const known = isSafeId(id) && (await o.pool.query('SELECT 1 FROM compounds WHERE id = $1', [id])).rowCount === 1;
      if (!known) return fail(reply, 400, caseError('SS_CASE_UNKNOWN_COMPOUND', `'${id.slice(0, 64)}'`));
      const at = o.now();
      const pub = await publishDecision(o.js, { survey: { compound: id, satisfaction: s, by: 'operator', at } }, o.partitions);
      const applied = await waitFor(async () => {
        const r = (await o.pool.query<{ at: string; satisfaction: number }>('SELECT at, satisfaction FROM surveys WHERE compound = $1', [id])).rows[0];
        return !!r && Number(r.at) >= at && r.satisfaction === s;
      });
      if (applied) return { compound: await ratingOf(id) };
      return reply.code(202).send({ result: 'accepted', partition: pub.partition, survey: { compound: id, satisfaction: s, at } });
    });
  };
}
