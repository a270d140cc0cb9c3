import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DEAD_LETTER_REASONS } from '../../errors.ts';
import type { HubContext } from '../../hub.ts';
import type { IndexRating } from '../../index/hub-rating.ts';
import type { AlarmRow } from '../../cases/store.ts';
import { webError } from '../errors.ts';
import type { SseStreams } from '../sse.ts';
import { alarmScore, changeCounts, localDayStart, relatedAlarms, rootCauses, starsByDistrict } from './data.ts';
import { AlarmQuery, ErrorBody, LimitQuery, Open, TAG, page } from './schemas.ts';

export interface DataRouteDeps {
  engine: () => IndexRating | undefined;
  ctx: HubContext;
  /** True when the request speaks for an operator (bearer token or console session). */
  isOperator: (req: FastifyRequest) => boolean;
  districtNames: ReadonlyMap<string, string>;
  streams: SseStreams;
}

/** Alarms of one compound within this window of an alarm are shown as its context. */
export const EVIDENCE_WINDOW_MS = 30 * 60_000;

const denied = (reply: FastifyReply) => reply.code(401).send(webError('SS_WEB_SESSION', 'no console session and no operator token'));
const noEngine = (reply: FastifyReply) => reply.code(503).send(webError('SS_WEB_NO_ENGINE', 'no index engine'));
const guarded = { 401: ErrorBody, 503: ErrorBody };

/** The console's JSON: the city at a glance, alarms with evidence, edges and devices, dead letters, audit. */
export function consoleDataRoutes(app: FastifyInstance, d: DataRouteDeps): void {
  const name = (e: IndexRating, id: string) => {
    const r = e.list().find((c) => c.id === id);
    return r ? { name: r.name, district: r.district, districtName: d.districtNames.get(r.district) ?? r.district } : { name: id, district: '', districtName: '' };
  };

  app.get('/api/console/overview', {
    schema: { summary: 'The city at a glance', description: 'Stars by district, star changes today (city time), pending alarms, dead letters, edges.', tags: [TAG], response: { 200: Open('overview'), ...guarded } },
  }, async (req, reply) => {
    if (!d.isOperator(req)) return denied(reply);
    const e = d.engine();
    if (!e) return noEngine(reply);
    const now = d.ctx.now();
    const dayStart = localDayStart(now, e.policy.timezoneOffsetMinutes);
    const today = e.ratings.auditSince(dayStart, 10_000);
    const edges = d.ctx.edges.status();
    return {
      generatedAt: now,
      dayStart,
      ...starsByDistrict(e.list(), d.districtNames),
      changesToday: { ...changeCounts(today), total: today.length },
      pendingAlarms: e.cases.listAlarms({ status: 'pending', limit: 10_000 }).length,
      deadLetters: d.ctx.deadLetters.summary().reduce((n, r) => n + r.count, 0) + edges.reduce((n, x) => n + Object.values(x.deadLetters).reduce((a, b) => a + b, 0), 0),
      edges: { connected: edges.filter((x) => x.connected).length, known: Math.max(edges.length, d.ctx.edges.issued().length) },
    };
  });

  app.get<{ Querystring: { status?: 'pending' | 'confirmed' | 'dismissed'; limit?: number } }>('/api/console/alarms', {
    schema: { summary: 'Device alarms with their evidence', description: 'Newest first; each with the alarms of its compound within 30 min, its device\'s state and its compound\'s rating. Confirm or dismiss with POST /api/alarms/:id/confirm|dismiss.', tags: [TAG], querystring: AlarmQuery, response: { 200: Type.Array(Open('alarm with evidence')), ...guarded } },
  }, async (req, reply) => {
    if (!d.isOperator(req)) return denied(reply);
    const e = d.engine();
    if (!e) return noEngine(reply);
    const alarms = e.cases.listAlarms({ status: req.query.status ?? 'pending', limit: req.query.limit ?? 100 });
    const devices = new Map(e.devices().map((x) => [x.id, x]));
    const byCompound = new Map<string, AlarmRow[]>();
    const ratings = new Map(e.list().map((r) => [r.id, r]));
    return alarms.map((a) => {
      let same = byCompound.get(a.compound);
      if (!same) byCompound.set(a.compound, (same = e.cases.listAlarms({ compound: a.compound, limit: 500 })));
      const dev = devices.get(a.device);
      const r = ratings.get(a.compound);
      return {
        id: a.id, compound: a.compound, ...name(e, a.compound), device: a.device, type: a.type, occurredAt: a.occurred_at, status: a.status, decidedAt: a.decided_at, decidedBy: a.decided_by,
        evidence: {
          related: relatedAlarms(a, same, EVIDENCE_WINDOW_MS),
          score: alarmScore(a),
          device: dev ? { id: dev.id, online: dev.online, lastSeen: dev.lastSeen } : null,
          compound: r ? { id: r.id, name: r.name, district: r.district, stars: r.stars, index: r.index } : null,
        },
      };
    });
  });

  app.get('/api/console/infrastructure', {
    schema: { summary: 'Edges and devices, grouped by root cause', description: '"edge X offline, N devices" once, not N device problems; offline devices behind a connected edge per compound.', tags: [TAG], response: { 200: Open('edges, causes, totals'), ...guarded } },
  }, async (req, reply) => {
    if (!d.isOperator(req)) return denied(reply);
    const e = d.engine();
    if (!e) return noEngine(reply);
    return { generatedAt: d.ctx.now(), ...rootCauses(e.devices(), d.ctx.edges.status(), d.ctx.edges.issued()) };
  });

  app.get('/api/console/deadletters', {
    schema: { summary: 'Dead letters by reason', description: 'byReason: the hub\'s dead letters on disk per reason code with what the code means; atEdges: what each edge reports it dead-lettered (bad device traffic, kept on the edge: GET /deadletters on its local API); recent: the hub\'s 20 newest (without the raw payload: GET /api/deadletters has it).', tags: [TAG], response: { 200: Open('byReason, recent'), ...guarded } },
  }, async (req, reply) => {
    if (!d.isOperator(req)) return denied(reply);
    const reasons: Record<string, string> = DEAD_LETTER_REASONS;
    return {
      byReason: d.ctx.deadLetters.summary().map((r) => ({ ...r, meaning: reasons[r.reason] ?? '' })),
      // Bad device traffic is dead-lettered where it arrives, at the edge; edges report their counts.
      atEdges: d.ctx.edges.status().flatMap((e) => Object.entries(e.deadLetters).map(([reason, count]) => ({ edge: e.id, reason, count }))),
      recent: d.ctx.deadLetters.recent(20).map((r) => ({ id: r.id, at: r.at, edge: r.edge, reason: r.reason, detail: r.detail.slice(0, 300) })),
    };
  });

  app.get<{ Querystring: { limit?: number } }>('/api/console/audit', {
    schema: { summary: 'Audit of star changes, city-wide', description: 'Newest first: compound, from/to stars, index, the trigger (case:<id>, alarm:<id>, review) and when.', tags: [TAG], querystring: LimitQuery, response: { 200: Type.Array(Open('audit entry')), ...guarded } },
  }, async (req, reply) => {
    if (!d.isOperator(req)) return denied(reply);
    const e = d.engine();
    if (!e) return noEngine(reply);
    return e.ratings.auditSince(Number.MIN_SAFE_INTEGER, req.query.limit ?? 100).map((a) => ({ seq: a.seq, compound: a.compound, ...name(e, a.compound), at: a.at, fromStars: a.fromStars, toStars: a.toStars, index: a.index, trigger: a.trigger }));
  });

  app.get('/api/console/events', {
    schema: page('Live console events (server-sent events)', 'text/event-stream of hub bus events: rating, alarm, deadletters, edge. Operators only.', 'text/event-stream'),
  }, async (req, reply) => {
    if (!d.isOperator(req)) return denied(reply);
    if (d.streams.full) return reply.code(503).send(webError('SS_WEB_STREAMS_FULL', `${d.streams.size} streams open`));
    const s = d.streams.start(req, reply);
    s.send('hello', { at: d.ctx.now() });
    s.onClose(d.ctx.bus.on((ev) => s.send(ev.type, ev)));
    return reply;
  });
}
