import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DEAD_LETTER_REASONS } from '../../errors.ts';
import type { AlarmRow } from '../../cases/store.ts';
import { webError } from '../errors.ts';
import type { SseStreams } from '../sse.ts';
import type { ConsoleEdge, ConsoleSource } from './source.ts';
import { alarmScore, changeCounts, localDayStart, relatedAlarms, rootCauses, starsByDistrict } from './data.ts';
import { AlarmQuery, ErrorBody, LimitQuery, Open, TAG, page } from './schemas.ts';

export interface DataRouteDeps {
  source: ConsoleSource;
  /** True when the request speaks for an operator (bearer token or console session). */
  isOperator: (req: FastifyRequest) => Promise<boolean>;
  streams: SseStreams;
}

/** Alarms of one compound within this window of an alarm are shown as its context. */
export const EVIDENCE_WINDOW_MS = 30 * 60_000;

const denied = (reply: FastifyReply) => reply.code(401).send(webError('SS_WEB_SESSION', 'no console session and no operator token'));
const noEngine = (reply: FastifyReply) => reply.code(503).send(webError('SS_WEB_NO_ENGINE', 'no index engine'));
const guarded = { 401: ErrorBody, 503: ErrorBody };
/** "Pending alarms" counts up to this many (the overview's figure, not a list). */
const COUNT_CAP = 10_000;

/** The console's JSON: the city at a glance, alarms with evidence, edges and devices, dead letters, audit. */
export function consoleDataRoutes(app: FastifyInstance, d: DataRouteDeps): void {
  const src = d.source;
  const namer = async () => {
    const [list, names] = await Promise.all([src.ratings(), src.districtNames()]);
    const byId = new Map(list.map((r) => [r.id, r]));
    return (id: string) => {
      const r = byId.get(id);
      return r ? { name: r.name, district: r.district, districtName: names.get(r.district) ?? r.district } : { name: id, district: '', districtName: '' };
    };
  };
  /** The limits of this mode, when it has any (a cluster worker says which figures it cannot give). */
  const limits = () => (Object.keys(src.limits).length > 0 ? { limits: src.limits } : {});
  const edgeDeadLetters = (edges: readonly ConsoleEdge[]) => edges.reduce((n, x) => n + Object.values(x.deadLetters).reduce((a, b) => a + b, 0), 0);

  app.get('/api/console/overview', {
    schema: { summary: 'The city at a glance', description: 'Stars by district, star changes today (city time), pending alarms, dead letters, edges. In cluster mode edges.connected is null (see limits).', tags: [TAG], response: { 200: Open('overview'), ...guarded } },
  }, async (req, reply) => {
    if (!(await d.isOperator(req))) return denied(reply);
    if (!src.ready()) return noEngine(reply);
    const now = src.now();
    const dayStart = localDayStart(now, src.timezoneOffsetMinutes());
    const [ratings, names, today, pending, dead, edges, issued] = await Promise.all([
      src.ratings(), src.districtNames(), src.auditSince(dayStart, 10_000), src.alarms({ status: 'pending', limit: COUNT_CAP }), src.deadLetters(0), src.edgeStates(), src.issuedEdges(),
    ]);
    return {
      generatedAt: now,
      dayStart,
      ...starsByDistrict(ratings, names),
      changesToday: { ...changeCounts(today), total: today.length },
      pendingAlarms: pending.length,
      deadLetters: dead.summary.reduce((n, r) => n + r.count, 0) + (edges ? edgeDeadLetters(edges) : 0),
      edges: { connected: edges ? edges.filter((x) => x.connected).length : null, known: Math.max(edges?.length ?? 0, issued.length) },
      ...limits(),
    };
  });

  app.get<{ Querystring: { status?: 'pending' | 'confirmed' | 'dismissed'; limit?: number } }>('/api/console/alarms', {
    schema: { summary: 'Device alarms with their evidence', description: 'Newest first; each with the alarms of its compound within 30 min, its device\'s state and its compound\'s rating. Confirm or dismiss with POST /api/alarms/:id/confirm|dismiss.', tags: [TAG], querystring: AlarmQuery, response: { 200: Type.Array(Open('alarm with evidence')), ...guarded } },
  }, async (req, reply) => {
    if (!(await d.isOperator(req))) return denied(reply);
    if (!src.ready()) return noEngine(reply);
    const [alarms, devList, ratingList, name] = await Promise.all([src.alarms({ status: req.query.status ?? 'pending', limit: req.query.limit ?? 100 }), src.devices(), src.ratings(), namer()]);
    const devices = new Map(devList.map((x) => [x.id, x]));
    const ratings = new Map(ratingList.map((r) => [r.id, r]));
    const byCompound = new Map<string, AlarmRow[]>();
    for (const c of new Set(alarms.map((a) => a.compound))) byCompound.set(c, await src.alarms({ compound: c, limit: 500 }));
    return alarms.map((a) => {
      const dev = devices.get(a.device);
      const r = ratings.get(a.compound);
      return {
        id: a.id, compound: a.compound, ...name(a.compound), device: a.device, type: a.type, occurredAt: a.occurred_at, status: a.status, decidedAt: a.decided_at, decidedBy: a.decided_by,
        evidence: {
          related: relatedAlarms(a, byCompound.get(a.compound) ?? [], EVIDENCE_WINDOW_MS),
          score: alarmScore(a),
          device: dev ? { id: dev.id, online: dev.online, lastSeen: dev.lastSeen } : null,
          compound: r ? { id: r.id, name: r.name, district: r.district, stars: r.stars, index: r.index } : null,
        },
      };
    });
  });

  app.get('/api/console/infrastructure', {
    schema: { summary: 'Edges and devices, grouped by root cause', description: '"edge X offline, N devices" once, not N device problems; offline devices behind a connected edge per compound. In cluster mode edge states are null (see limits) and devices count by their own last-seen time.', tags: [TAG], response: { 200: Open('edges, causes, totals'), ...guarded } },
  }, async (req, reply) => {
    if (!(await d.isOperator(req))) return denied(reply);
    if (!src.ready()) return noEngine(reply);
    const [devices, edges, issued] = await Promise.all([src.devices(), src.edgeStates(), src.issuedEdges()]);
    return { generatedAt: src.now(), ...rootCauses(devices, edges, issued), ...limits() };
  });

  app.get('/api/console/deadletters', {
    schema: { summary: 'Dead letters by reason', description: 'byReason: the hub\'s dead letters on disk per reason code with what the code means; atEdges: what each edge reports it dead-lettered (bad device traffic, kept on the edge: GET /deadletters on its local API; null in cluster mode, see limits); recent: the hub\'s 20 newest (without the raw payload: GET /api/deadletters has it).', tags: [TAG], response: { 200: Open('byReason, recent'), ...guarded } },
  }, async (req, reply) => {
    if (!(await d.isOperator(req))) return denied(reply);
    const reasons: Record<string, string> = DEAD_LETTER_REASONS;
    const [dead, edges] = await Promise.all([src.deadLetters(20), src.edgeStates()]);
    return {
      byReason: dead.summary.map((r) => ({ ...r, meaning: reasons[r.reason] ?? '' })),
      // Bad device traffic is dead-lettered where it arrives, at the edge; edges report their counts.
      atEdges: edges ? edges.flatMap((e) => Object.entries(e.deadLetters).map(([reason, count]) => ({ edge: e.id, reason, count }))) : null,
      recent: dead.recent.map((r) => ({ id: r.id, at: r.at, edge: r.edge, reason: r.reason, detail: r.detail.slice(0, 300) })),
      ...limits(),
    };
  });

  app.get<{ Querystring: { limit?: number } }>('/api/console/audit', {
    schema: { summary: 'Audit of star changes, city-wide', description: 'Newest first: compound, from/to stars, index, the trigger (case:<id>, alarm:<id>, review) and when.', tags: [TAG], querystring: LimitQuery, response: { 200: Type.Array(Open('audit entry')), ...guarded } },
  }, async (req, reply) => {
    if (!(await d.isOperator(req))) return denied(reply);
    if (!src.ready()) return noEngine(reply);
    const [entries, name] = await Promise.all([src.auditSince(Number.MIN_SAFE_INTEGER, req.query.limit ?? 100), namer()]);
    return entries.map((a) => ({ seq: a.seq, compound: a.compound, ...name(a.compound), at: a.at, fromStars: a.fromStars, toStars: a.toStars, index: a.index, trigger: a.trigger }));
  });

  app.get('/api/console/events', {
    schema: page('Live console events (server-sent events)', 'text/event-stream of hub events: rating, alarm, deadletters, edge. Operators only. A cluster worker polls PostgreSQL for them (no edge events).', 'text/event-stream'),
  }, async (req, reply) => {
    if (!(await d.isOperator(req))) return denied(reply);
    if (d.streams.full) return reply.code(503).send(webError('SS_WEB_STREAMS_FULL', `${d.streams.size} streams open`));
    const s = d.streams.start(req, reply);
    // Subscribed before the hello: a client that saw it misses no change made after.
    s.onClose(await src.subscribe((ev) => s.send(ev.type, ev)));
    s.send('hello', { at: src.now() });
    return reply;
  });
}
