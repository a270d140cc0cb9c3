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
}
