import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { AnyObject, ErrorBody, textResponse } from '../../common/api/schemas.ts';
import { isSafeId } from '../../protocol/ids.ts';
import type { CompoundRating } from '../rating/types.ts';
import { compoundPage, notFoundPage } from './compound-page.ts';
import { sendHtml } from './html.ts';
import type { WebContext } from './context.ts';
import { webError } from './errors.ts';
import { lowest, mapData, type MapInput } from './map-view.ts';
import { driverWords, publicView } from './public-view.ts';
import { pageUrl, qrSvg } from './qr.ts';

const STATIC = new URL('./static/', import.meta.url);
const ASSETS: Record<string, string> = {
  'style.css': 'text/css; charset=utf-8',
  'map.js': 'text/javascript; charset=utf-8',
  'compound.js': 'text/javascript; charset=utf-8',
  'time.js': 'text/javascript; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'login.js': 'text/javascript; charset=utf-8',
};
/** Read once at start: the pages are a handful of small files, no build step. */
const files = new Map(Object.keys(ASSETS).map((f) => [f, readFileSync(new URL(f, STATIC), 'utf8')]));
const mapHtml = readFileSync(new URL('map.html', STATIC), 'utf8');

/** Lowest-rated compounds listed on the map (the city's rectification list had 10). */
export const LOWEST_N = 10;
const DAY_MS = 86_400_000;

const html = sendHtml;

/** A compound's district name: from the city's list when the hub has one, else its id. */
const districtName = async (w: WebContext, id: string): Promise<string> => (await w.districtNames()).get(id) ?? id;

async function safeGet(w: WebContext, id: string): Promise<CompoundRating | undefined> {
  return isSafeId(id) ? w.source.get(id) : undefined;
}

export function pageRoutes(app: FastifyInstance, w: WebContext): void {
  const IdParams = Type.Object({ id: Type.String({ description: 'compound id, e.g. c0001' }) });
  app.get('/map', { schema: { tags: ['public'], summary: 'the city map of stars (一图), an HTML page', response: { 200: textResponse('text/html', 'the map page') } } }, async (_req, reply) => html(reply, 200, mapHtml, w.basemap?.cspSource));
  app.get<{ Params: { file: string } }>('/web/:file', {
    schema: {
      tags: ['public'], summary: "the public pages' scripts and style sheet",
      params: Type.Object({ file: Type.String({ description: Object.keys(ASSETS).join(', ') }) }),
      response: { 200: textResponse('text/javascript', 'a script or style sheet'), 404: textResponse('text/plain', 'no such file') },
    },
  }, async (req, reply) => {
    const body = files.get(req.params.file);
    const type = ASSETS[req.params.file];
    if (body === undefined || !type) return reply.code(404).type('text/plain').send('not found');
    return reply.type(type).header('cache-control', 'public, max-age=60').send(body);
  });

  app.get<{ Querystring: { district?: string } }>('/api/map', {
    schema: {
      tags: ['public'], summary: "the map's data: points, five-star share per district, the lowest-rated compounds",
      querystring: Type.Object({ district: Type.Optional(Type.String({ maxLength: 64, description: 'only this district' })) }),
      response: { 200: AnyObject('districts, points, lowest, generatedAt'), 400: ErrorBody },
    },
  }, async (req) => {
    const [ratings, locs, names] = await Promise.all([w.source.list(), w.locations(), w.districtNames()]);
    const items: MapInput[] = ratings.map((r) => ({ id: r.id, name: r.name, district: r.district, stars: r.stars, index: r.index, lat: locs.get(r.id)?.lat ?? null, lon: locs.get(r.id)?.lon ?? null }));
    const d = mapData(items, names, w.now());
    const district = req.query.district || undefined;
    const inScope = district ? items.filter((c) => c.district === district) : items;
    const low = await Promise.all(
      lowest(inScope, LOWEST_N).map(async (c) => {
        const r = await w.source.get(c.id);
        return { id: c.id, name: c.name, district: c.district, stars: c.stars, index: c.index, reasons: r ? driverWords(publicView(r)) : [] };
      }),
    );
    return { ...d, district: district ?? null, points: district ? d.points.filter((p) => p.district === district) : d.points, lowest: low };
  });

  app.get<{ Params: { id: string } }>('/api/compounds/:id/public', {
    schema: { tags: ['public'], summary: "a compound's public view: stars, the index in plain words, streak, check-in counts", params: IdParams, response: { 200: AnyObject('the public view of one compound'), 404: ErrorBody } },
  }, async (req, reply) => {
    const r = await safeGet(w, req.params.id);
    if (!r) return reply.code(404).send(webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    return { ...publicView(r), districtName: await districtName(w, r.district), checkins: await w.store.checkinCounts(r.id, w.now() - 30 * DAY_MS) };
  });

  app.get<{ Params: { id: string } }>('/c/:id', {
    schema: { tags: ['public'], summary: "the page behind a plaque's QR code (一码), HTML", params: IdParams, response: { 200: textResponse('text/html', 'the compound page'), 404: textResponse('text/html', 'not found page') } },
  }, async (req, reply) => {
    const r = await safeGet(w, req.params.id);
    if (!r) return html(reply, 404, notFoundPage(req.params.id));
    const p = publicView(r);
    return html(reply, 200, compoundPage(p, { districtName: await districtName(w, r.district), checkins: await w.store.checkinCounts(r.id, w.now() - 30 * DAY_MS) }));
  });

  app.get<{ Params: { id: string } }>('/api/compounds/:id/qr.svg', {
    schema: { tags: ['public'], summary: "the QR code for a compound's plaque (SVG; encodes SAFESTAR_PUBLIC_URL/c/:id)", params: IdParams, response: { 200: textResponse('image/svg+xml', 'QR code'), 404: ErrorBody } },
  }, async (req, reply) => {
    const r = await safeGet(w, req.params.id);
    if (!r) return reply.code(404).send(webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
    const svg = await qrSvg(pageUrl(r.id, w.publicBaseUrl, req));
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=300').send(svg);
  });
}
