import type { Basemap } from './map-tiles.ts';
import type { SseStreams } from './sse.ts';
import type { CompoundRow } from '../store/stateDb.ts';
import type { CaseAuth } from '../cases/auth.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { RatingSource } from './source.ts';
import type { WebStore } from './store.ts';
import type { LiveChanges } from './live-changes.ts';

/**
 * What the web routes need (built once by the plugin), whichever hub serves them: the embedded
 * hub (SQLite, its bus: hub/web/plugin.ts) or a cluster worker (PostgreSQL, NATS:
 * hub/cluster/web.ts). The routes are the same code in both.
 */
export interface WebContext {
  source: RatingSource;
  /** Compound rows (with lat/lon) by id; cached briefly, compounds change rarely. */
  locations(): Promise<ReadonlyMap<string, CompoundRow>>;
  store: WebStore;
  auth: CaseAuth;
  limiter: RateLimiter;
  /** District id → name (the city file's); an unnamed district shows its id. */
  districtNames(): Promise<ReadonlyMap<string, string>>;
  publicBaseUrl: string | undefined;
  now: () => number;
  /** The city's tile server for the map (absent: the offline district layer only). */
  basemap: Basemap | undefined;
  /** When a compound's public view may have changed, and the live streams (the compound page's SSE). */
  changes: LiveChanges;
  streams: SseStreams;
}
