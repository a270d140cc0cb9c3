import type { HubBus } from '../bus.ts';
import type { Basemap } from './map-tiles.ts';
import type { SseStreams } from './sse.ts';
import type { CompoundRow } from '../store/stateDb.ts';
import type { CaseAuth } from '../cases/auth.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { RatingSource } from './source.ts';
import type { WebStore } from './store.ts';

/** What the web routes need (built once by the plugin). */
export interface WebContext {
  source: RatingSource;
  /** Compound rows (with lat/lon) by id; cached briefly, compounds change rarely. */
  locations(): ReadonlyMap<string, CompoundRow>;
  store: WebStore;
  auth: CaseAuth;
  limiter: RateLimiter;
  districtNames: ReadonlyMap<string, string>;
  publicBaseUrl: string | undefined;
  now: () => number;
  /** The city's tile server for the map (absent: the offline district layer only). */
  basemap: Basemap | undefined;
  /** The hub bus and live streams (the compound page's SSE). */
  bus: HubBus;
  streams: SseStreams;
}
