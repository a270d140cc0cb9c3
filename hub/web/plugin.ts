import type { FastifyInstance } from 'fastify';
import type { CityDistrict } from '../../protocol/city.ts';
import { CaseAuth, tokensFromEnv, type TokenConfig } from '../cases/auth.ts';
import type { HubContext } from '../hub.ts';
import { cachedLocations } from '../store/locations.ts';
import type { WebContext } from './context.ts';
import { needsRoutes } from './needs-routes.ts';
import { pageRoutes } from './page-routes.ts';
import { RATE_LIMIT_DEFAULTS, RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { apiSource, type RatingSource } from './source.ts';
import { SqliteWebStore } from './store.ts';
import { parseTileUrl } from './map-tiles.ts';
import { mapRoutes } from './map-routes.ts';
import { liveRoutes } from './live-routes.ts';
import { busChanges } from './live-changes.ts';
import { SSE_DEFAULTS, SseStreams, type SseOptions } from './sse.ts';

export interface WebPagesOptions {
  /** Department and operator tokens (same as the cases API). Default: the environment. */
  tokens?: TokenConfig;
  /** District names for the map (the city file's); default: district ids. */
  districts?: readonly CityDistrict[];
  /** Base URL printed in QR codes, e.g. https://safe.example.gov.cn. Default: SAFESTAR_PUBLIC_URL, else the request's host. */
  publicBaseUrl?: string;
  /** Resident reports per client address. */
  reportRateLimit?: Partial<RateLimitOptions>;
  /** Where ratings come from. Default: the hub's own /api/compounds (in-process inject). */
  source?: (app: FastifyInstance) => RatingSource;
  /** Basemap tile template ({z}/{x}/{y}) of the city's own tile server. Default: SAFESTAR_MAP_TILE_URL; none = offline district layer only. */
  mapTileUrl?: string;
  /** Limits of the public live streams (the compound page). */
  sse?: Partial<SseOptions>;
}

/** Where a hub keeps what the pages read and write (the embedded hub's or a cluster worker's). */
export type WebBackend = Pick<WebContext, 'source' | 'locations' | 'districtNames' | 'store' | 'changes' | 'now'>;

/**
 * The public pages (一图 city map at /map, 一码 compound page at /c/:id) and their small API on
 * `app`, over any backend: the options' security (tokens, the report limit per address, the
 * stream limit) is the same whoever calls it.
 */
export function serveWeb(app: FastifyInstance, opts: WebPagesOptions, backend: WebBackend): void {
  const w: WebContext = {
    ...backend,
    auth: new CaseAuth(opts.tokens ?? tokensFromEnv()),
    limiter: new RateLimiter({ ...RATE_LIMIT_DEFAULTS, ...opts.reportRateLimit }, backend.now),
    publicBaseUrl: opts.publicBaseUrl ?? process.env['SAFESTAR_PUBLIC_URL'],
    basemap: parseTileUrl(opts.mapTileUrl ?? process.env['SAFESTAR_MAP_TILE_URL']),
    streams: new SseStreams({ ...SSE_DEFAULTS, ...opts.sse }),
  };
  // Open streams would hold app.close() up: end them before the server stops.
  app.addHook('preClose', async () => w.streams.closeAll());
  pageRoutes(app, w);
  needsRoutes(app, w);
  mapRoutes(app, w);
  liveRoutes(app, w);
}

/**
 * The pages on the embedded hub, as a hub API plugin: `startHub({ apiPlugins: [..., webPages()] })`.
 * SQLite for reports and check-ins, the hub's bus for the live stream.
 */
export function webPages(opts: WebPagesOptions = {}): (app: FastifyInstance, ctx: HubContext) => void {
  return (app, ctx) => {
    const locations = cachedLocations(ctx.state);
    const names: ReadonlyMap<string, string> = new Map((opts.districts ?? []).map((d) => [d.id, d.name]));
    serveWeb(app, opts, {
      source: (opts.source ?? apiSource)(app),
      locations: async () => locations(),
      districtNames: async () => names,
      store: new SqliteWebStore(ctx.state.db),
      changes: busChanges(ctx.bus),
      now: ctx.now,
    });
  };
}
