import type { CityDistrict } from '../protocol/city.ts';
import type { HubOptions } from './hub.ts';
import type { TokenConfig } from './cases/auth.ts';
import { safetyIndex } from './index/wire.ts';
import type { InfluxTarget } from './store/influxWriter.ts';
import { webPages } from './web/plugin.ts';
import { consolePlugin, consoleSessions } from './web/console/plugin.ts';

export interface ProductHubOptions {
  /** Where the `safety_index` history goes (the hub's own InfluxDB); absent = its durable queue. */
  influx?: InfluxTarget;
  /** Department and operator tokens; default: the environment (SAFESTAR_*_TOKENS). */
  tokens?: TokenConfig;
  /** District names for the map. */
  districts?: readonly CityDistrict[];
  /** Basemap tiles ({z}/{x}/{y}); default SAFESTAR_MAP_TILE_URL, else the offline district layer only. */
  mapTileUrl?: string;
  /** Base URL in QR codes; default SAFESTAR_PUBLIC_URL, else the request's host. */
  publicBaseUrl?: string;
}

/**
 * The hub as the product runs it (`safestar hub`, `safestar demo`): the safety-index engine with
 * the cases API and the public pages. One place, so every entry point
 * serves the same hub.
 */
export function productHub(o: ProductHubOptions = {}): Pick<HubOptions, 'rating' | 'apiPlugins'> {
  // One session store: the console logs operators in, the cases API accepts those sessions.
  const sessions = consoleSessions();
  const index = safetyIndex({ ...(o.influx ? { history: o.influx } : {}), ...(o.tokens ? { tokens: o.tokens } : {}), sessions });
  const shared = { ...(o.tokens ? { tokens: o.tokens } : {}), ...(o.districts ? { districts: o.districts } : {}) };
  const pages = webPages({ ...shared, ...(o.mapTileUrl ? { mapTileUrl: o.mapTileUrl } : {}), ...(o.publicBaseUrl ? { publicBaseUrl: o.publicBaseUrl } : {}) });
  const operatorConsole = consolePlugin({ ...shared, engine: index.engine, sessions });
  return { rating: index.rating, apiPlugins: [...index.apiPlugins, pages, operatorConsole] };
}
