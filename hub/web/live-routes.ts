import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorBody, textResponse } from '../../common/api/schemas.ts';
import { isSafeId } from '../../protocol/ids.ts';
import type { WebContext } from './context.ts';
import { webError } from './errors.ts';
import { publicView } from './public-view.ts';
import { liveSection } from './compound-page.ts';

/** Changes of one compound are gathered this long before its public view is sent (a burst is one update). */
export const LIVE_GATHER_MS = 500;
const DAY_MS = 86_400_000;

/**
 * The compound page's live stream (public): when the compound's rating or its alarms change, the
 * whitelisted public view is sent again. Only what GET /api/compounds/:id/public shows ever goes
 * out: no case ids, departments, device ids or exact times (months only).
 */
export function liveRoutes(app: FastifyInstance, w: WebContext): void {
  app.get<{ Params: { id: string } }>('/api/compounds/:id/events', {
    schema: {
      summary: 'Live updates of a compound\'s public view (server-sent events)',
      description: 'text/event-stream; event "compound" carries the same fields as GET /api/compounds/:id/public, sent when its rating or pending alarms change.',
      tags: ['pages'],
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { 200: textResponse('text/event-stream', 'event "compound": the public view'), 404: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const id = req.params.id;
    if (!isSafeId(id) || !(await w.source.get(id))) return reply.code(404).send(webError('SS_WEB_COMPOUND_UNKNOWN', `'${id.slice(0, 64)}'`));
    if (w.streams.full) return reply.code(503).send(webError('SS_WEB_STREAMS_FULL', `${w.streams.size} streams open`));
    const s = w.streams.start(req, reply);
    let timer: NodeJS.Timeout | undefined;
    const push = async (): Promise<void> => {
      timer = undefined;
      // A failed read (the state store away for a moment) loses this update only: the next change sends the view again.
      const got = await Promise.all([w.source.get(id), w.districtNames(), w.store.checkinCounts(id, w.now() - 30 * DAY_MS)]).catch(() => undefined);
      const r = got?.[0];
      if (!got || !r) return;
      const view = publicView(r);
      const extras = { districtName: got[1].get(r.district) ?? r.district, checkins: got[2] };
      // The page's live part as the server renders it (escaped; no script or style), so the
      // browser swaps it in without a second copy of the page's wording in JavaScript.
      s.send('compound', { ...view, ...extras, html: liveSection(view, extras) });
    };
    const off = w.changes.on((e) => {
      if (e.compound === id && !timer) {
        timer = setTimeout(() => void push(), LIVE_GATHER_MS);
        timer.unref();
      }
    });
    s.onClose(() => {
      off();
      if (timer) clearTimeout(timer);
    });
    s.send('hello', { id });
    return reply;
  });
}
