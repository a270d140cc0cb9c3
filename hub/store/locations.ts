import type { CompoundRow, StateDb } from './stateDb.ts';

/**
 * Compound rows (with lat/lon) by id, re-read from the state DB at most every `ttlMs`: rating
 * engines know no coordinates, and compounds change rarely (a city file, a learned compound).
 */
export function cachedLocations(state: Pick<StateDb, 'compounds'>, ttlMs = 10_000): () => ReadonlyMap<string, CompoundRow> {
  let at = -Infinity;
  let map = new Map<string, CompoundRow>();
  return () => {
    const t = Date.now(); // a cache age, not domain time: the real clock
    if (t - at >= ttlMs || t < at) {
      map = new Map(state.compounds().map((c) => [c.id, c]));
      at = t;
    }
    return map;
  };
}
