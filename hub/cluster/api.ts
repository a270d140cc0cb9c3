import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { closeQuietConnections } from '../../common/api/quiet-connections.ts';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { CaseAuth, type TokenConfig } from '../cases/auth.ts';
import { caseError, type CaseErrorBody } from '../cases/errors.ts';
import { checkScope } from '../cases/scope.ts';
import { checkCase } from '../cases/validate.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { caseDigest, publishCase } from './case-message.ts';
import { decisionRoutes } from './api-decisions.ts';
import { ratedRows } from './api-public.ts';
import { clusterWebPages, type ClusterWebOptions } from './web.ts';
import { clusterConsole } from './console.ts';

export interface ClusterApiOptions {
  pool: pg.Pool;
  js: JetStreamClient;
  policy: Policy;
  tokens: TokenConfig;
  partitions: number;
  workerId: string;
  /** How long POST /api/cases waits for the compound's owner to apply the case before answering 202. */
  ownerWaitMs?: number;
  now?: () => number;
  health?: () => object;
  /** The worker's NATS connection: the public pages' live updates from every owner (hub/cluster/live.ts). */
  nc?: NatsConnection;
  /** The public pages' settings (report limit, QR base URL, basemap, stream limits); tokens are `tokens`. */
  web?: Omit<ClusterWebOptions, 'pool' | 'policy' | 'now' | 'nc' | 'tokens'>;
  /** Reverse proxies whose X-Forwarded-For is believed (the hub's --trusted-proxy): the report limit is per client, not per proxy, and the console cookie is Secure when they say https. */
  trustedProxies?: readonly string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The HTTP API of a cluster worker. Any worker answers any request: a case is validated here,
 * published onto its compound's partition and applied by that partition's owner (wherever it
 * runs); reads of the city (compounds, map) come from PostgreSQL, where every owner writes its
 * compounds' ratings. Same token rules and error bodies as the embedded hub's cases API.
 */
export async function buildClusterApi(o: ClusterApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, ...(o.trustedProxies?.length ? { trustProxy: [...o.trustedProxies] } : {}) });
  closeQuietConnections(app);
  const auth = new CaseAuth(o.tokens);
  const now = o.now ?? Date.now;
  // checkCase asks synchronously; compounds change rarely (city file, learned compounds).
  let known = new Set<string>();
  let knownAt = -Infinity;
  const refreshKnown = async (): Promise<void> => {
    known = new Set((await o.pool.query<{ id: string }>('SELECT id FROM compounds')).rows.map((r) => r.id));
    knownAt = performance.now();
  };
  await refreshKnown();

  const fail = (reply: FastifyReply, status: number, err: CaseErrorBody) => reply.code(status).send(err);
  app.get('/health', async () => ({ status: 'ok', worker: o.workerId, ...(o.health?.() ?? {}) }));

  app.get('/api/compounds', async () =>
    (await ratedRows(o.pool)).map((r) => ({ id: r.id, name: r.name, district: r.district, households: r.households, lat: r.lat, lon: r.lon, index: r.index ?? 0, stars: r.stars, updatedAt: r.evaluated_at === null ? null : new Date(Number(r.evaluated_at)).toISOString() })),
  );

  // The public pages and their API (/map, /c/:id, /api/map, /api/compounds/:id/public, reports, check-ins, the live stream).
  clusterWebPages({ ...o.web, pool: o.pool, policy: o.policy, now, tokens: o.tokens, ...(o.nc ? { nc: o.nc } : {}) })(app);
  // The operator console (sessions in PostgreSQL); its confirm/dismiss go through decisionRoutes.
  const operatorConsole = clusterConsole({ pool: o.pool, policy: o.policy, tokens: o.tokens, now });
  operatorConsole.mount(app);
  decisionRoutes({ pool: o.pool, js: o.js, policy: o.policy, auth, partitions: o.partitions, now, ownerWaitMs: o.ownerWaitMs ?? 10_000, sessions: operatorConsole.sessions })(app);

  app.post('/api/cases', async (req, reply) => {
    const p = auth.identify(req.headers.authorization);
    if (!p) return fail(reply, 401, caseError('SS_CASE_AUTH', auth.size === 0 ? 'no tokens are configured on this worker (SAFESTAR_DEPARTMENT_TOKENS, SAFESTAR_OPERATOR_TOKENS)' : 'missing or unknown token'));
    const t = now();
    const body = req.body as { compound?: unknown } | undefined;
    if (typeof body?.compound === 'string' && !known.has(body.compound) && performance.now() - knownAt > 1000) await refreshKnown();
    const checked = checkCase(o.policy, req.body, (id) => known.has(id), t);
    if (!checked.ok) return fail(reply, checked.status, checked.error);
    const c = checked.value;
    if (p.kind !== 'department' || p.department !== c.department) return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', `this token may not post cases for department '${c.department}'`));
    const scope = checkScope(o.policy, p.department, c.category);
    if (!scope.ok) return fail(reply, scope.status, scope.error);
    const existing = (await o.pool.query<{ department: string }>('SELECT department FROM cases WHERE id = $1', [c.id])).rows[0];
    if (existing && existing.department !== c.department) return fail(reply, 403, caseError('SS_CASE_FORBIDDEN', `case '${c.id}' belongs to department '${existing.department}'`));

    const pub = await publishCase(o.js, { ...c, postedBy: p.department, receivedAt: t }, o.partitions);
    // Wait for the owner to apply it (its row then matches this content) so the answer carries the new stars.
    const digest = caseDigest(c);
    const deadline = performance.now() + (o.ownerWaitMs ?? 10_000);
    while (performance.now() < deadline) {
      const row = (
        await o.pool.query<{ id: string; department: string; category: string; compound: string; occurred_at: string; registered_at: string; status: string; version: number; received_at: string; epoch: string }>(
          'SELECT id, department, category, compound, occurred_at, registered_at, status, version, received_at, epoch FROM cases WHERE id = $1',
          [c.id],
        )
      ).rows[0];
      if (row && caseDigest({ ...row, occurredAt: Number(row.occurred_at), registeredAt: Number(row.registered_at) }) === digest) {
        const r = (await o.pool.query<{ stars: number | null; index: number; owner: string }>('SELECT stars, index, owner FROM compound_ratings WHERE compound = $1', [c.compound])).rows[0];
        return reply.code(row.version === 1 ? 201 : 200).send({
          result: row.version === 1 ? 'created' : 'updated',
          case: { ...c, receivedAt: Number(row.received_at), version: row.version },
          partition: pub.partition,
          compounds: [{ id: c.compound, stars: r?.stars ?? null, index: r?.index ?? null }],
        });
      }
      await sleep(50);
    }
    // Stored in the stream (quorum-acked): the owner applies it when it can; nothing is lost.
    return reply.code(202).send({ result: 'accepted', case: { ...c, receivedAt: t }, partition: pub.partition });
  });

  return app;
}
