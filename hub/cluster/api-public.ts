import type pg from 'pg';
import type { Policy } from '../policy/policy-schema.ts';
import type { CompoundRating } from '../rating/types.ts';
import type { RatingSource } from '../web/source.ts';
import type { CompoundRow } from '../store/stateDb.ts';

export interface PublicSourceOptions {
  pool: pg.Pool;
  policy: Policy;
  now: () => number;
}

/** A compound as the state store keeps it, with its rating (and public explanation) joined from PostgreSQL. */
export interface RatedRow extends CompoundRow {
  stars: number | null;
  index: number | null;
  evaluated_at: string | null;
}

const RATED = `SELECT c.id, c.name, c.district, c.households, c.lat, c.lon, r.stars, r.index, r.evaluated_at
  FROM compounds c LEFT JOIN compound_ratings r ON r.compound = c.id`;

export async function ratedRows(pool: pg.Pool, id?: string): Promise<RatedRow[]> {
  return (await (id === undefined ? pool.query<RatedRow>(`${RATED} ORDER BY c.id`) : pool.query<RatedRow>(`${RATED} WHERE c.id = $1`, [id]))).rows;
}

/** The public explanations of a few compounds (the whole city's would be megabytes per map read). */
async function detailsOf(pool: pg.Pool, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const r = await pool.query<{ compound: string; detail: Record<string, unknown> | null }>('SELECT compound, detail FROM compound_ratings WHERE compound = ANY($1::text[])', [ids]);
  return new Map(r.rows.flatMap((x) => (x.detail ? [[x.compound, x.detail] as const] : [])));
}

/**
 * The ratings the public pages (hub/web) read on a cluster worker, from PostgreSQL, where every
 * partition owner writes its compounds' ratings: the embedded hub's pages and their API then run
 * unchanged over it (the map with the lowest-rated compounds' reasons, the plaque page, the live
 * stream). `get` carries the explanation the compound's owner wrote with its latest rating (the
 * embedded hub re-rates on each read; here a page is at most one review tick behind) and the
 * unconfirmed-alarm count read live; `list` carries no explanation (the whole city's would be
 * megabytes per map read: the map asks `get` for the few it explains). Public data only:
 * publicView whitelists the fields.
 */
export function pgRatingSource(o: PublicSourceOptions): RatingSource {
  const weighed = Object.keys(o.policy.iot.weights);
  const asRating = (r: RatedRow, detail: Record<string, unknown> | undefined, unconfirmed: number): CompoundRating => ({
    id: r.id, name: r.name, district: r.district, households: r.households, index: r.index ?? 0, stars: r.stars, rated: r.stars !== null,
    updatedAt: new Date(r.evaluated_at === null ? o.now() : Number(r.evaluated_at)).toISOString(),
    detail: { ...(detail ?? {}), unconfirmedAlarms: unconfirmed },
  });
  const pendingOf = async (ids: readonly string[]): Promise<Map<string, number>> =>
    new Map(
      (await o.pool.query<{ compound: string; n: number }>("SELECT compound, count(*)::int AS n FROM alarms WHERE compound = ANY($1::text[]) AND status = 'pending' AND type = ANY($2::text[]) GROUP BY compound", [ids, weighed])).rows.map((r) => [r.compound, r.n]),
    );
  return {
    async list() {
      return (await ratedRows(o.pool)).map((r) => asRating(r, undefined, 0));
    },
    async get(id) {
      const r = (await ratedRows(o.pool, id))[0];
      if (!r) return undefined;
      const [pending, details] = await Promise.all([pendingOf([r.id]), detailsOf(o.pool, [r.id])]);
      return asRating(r, details.get(r.id), pending.get(r.id) ?? 0);
    },
  };
}
