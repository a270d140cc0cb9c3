import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { textResponse } from '../../common/api/schemas.ts';
import type { WebContext } from './context.ts';
import { DISTRICT_LAYER_DEFAULTS, districtLayer, type DistrictLayer } from './map-districts.ts';
import type { CompoundRow } from '../store/stateDb.ts';

/** Leaflet served by the hub itself (the city may be offline: no CDN). Read once at start. */
const require = createRequire(import.meta.url);
const LEAFLET: Record<string, { type: string; body: string }> = {
  'leaflet.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('leaflet/dist/leaflet.js'), 'utf8') },
  'leaflet.css': { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('leaflet/dist/leaflet.css'), 'utf8') },
};

/** The map's layers: Leaflet itself, the city's basemap (if configured) and the generated districts. */
export function mapRoutes(app: FastifyInstance, w: WebContext): void {
  app.get<{ Params: { file: string } }>('/web/leaflet/:file', {
    schema: {
      summary: 'Leaflet 1.9 (served by the hub, no CDN)',
      description: 'leaflet.js or leaflet.css from the leaflet package.',
      tags: ['pages'],
      params: Type.Object({ file: Type.Union([Type.Literal('leaflet.js'), Type.Literal('leaflet.css')]) }),
      response: { 200: textResponse('text/javascript', 'leaflet.js (text/javascript) or leaflet.css (text/css)') },
    },
  }, async (req, reply) => {
    const f = LEAFLET[req.params.file]!;
    return reply.type(f.type).header('cache-control', 'public, max-age=86400').send(f.body);
  });

  // Compounds move rarely: the layer is rebuilt only when a location or district changed.
  let last = '';
  let layer: DistrictLayer | undefined;
  app.get('/api/map/layers', {
    schema: {
      summary: 'The map\'s layers',
      description: 'basemap: the city\'s tile URL or null (offline); districts: GeoJSON district areas, boundary lines and label points generated from the compounds\' coordinates.',
      tags: ['pages'],
      response: {
        200: Type.Object({
          basemap: Type.Union([Type.Object({ url: Type.String() }), Type.Null()]),
          districts: Type.Object({}, { additionalProperties: true, description: 'GeoJSON FeatureCollection with bounds' }),
        }),
      },
    },
  }, async (_req, reply) => {
    const [locs, names] = await Promise.all([w.locations(), w.districtNames()]);
    const points = [...locs.values()].flatMap((c: CompoundRow) => (c.lat === null || c.lon === null ? [] : [{ lat: c.lat, lon: c.lon, district: c.district }]));
    const key = `${[...names].join(';')}|${points.map((p) => `${p.lat},${p.lon},${p.district}`).join(';')}`;
    if (key !== last || !layer) {
      last = key;
      layer = districtLayer(points, names, DISTRICT_LAYER_DEFAULTS);
    }
    return reply.header('cache-control', 'no-cache').send({ basemap: w.basemap ? { url: w.basemap.url } : null, districts: layer });
  });
}
