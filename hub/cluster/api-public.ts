import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { isSafeId } from '../../protocol/ids.ts';
import type { Policy } from '../index/policy-schema.ts';
import type { CompoundRating } from '../rating/types.ts';
import { webError } from '../web/errors.ts';
import { lowest, mapData, type MapInput } from '../web/map-view.ts';
import { LOWEST_N } from '../web/page-routes.ts';
import { driverWords, publicView } from '../web/public-view.ts';
import type { CompoundRow } from '../store/stateDb.ts';

export interface PublicRoutesOptions {
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
 * The public reads of the embedded hub (hub/web/page-routes.ts) on a cluster worker, from
 * PostgreSQL: the map with the districts' names and the lowest-rated compounds with their reasons,
 * and a compound's public view (the plaque page's data). The explanation is the one the
 * compound's owner wrote with its latest rating (the embedded hub re-rates on each read; here a
 * page is at most one review tick behind); the unconfirmed-alarm count is read live. Public, like
 * there: no token, and nothing private (publicView whitelists the fields).
 */
export function publicRoutes(o: PublicRoutesOptions): (app: FastifyInstance) => void {
  const weighed = Object.keys(o.policy.iot.weights);
  const names = async (): Promise<Map<string, string>> => new Map((await o.pool.query<{ id: string; name: string }>('SELECT id, name FROM districts')).rows.map((r) => [r.id, r.name]));
  const asRating = (r: RatedRow, detail: Record<string, unknown> | undefined, unconfirmed: number): CompoundRating => ({
    id: r.id, name: r.name, district: r.district, households: r.households, index: r.index ?? 0, stars: r.stars, rated: r.stars !== null,
    updatedAt: new Date(r.evaluated_at === null ? o.now() : Number(r.evaluated_at)).toISOString(),
    detail: { ...(detail ?? {}), unconfirmedAlarms: unconfirmed },
  });
  const pendingOf = async (ids: readonly string[]): Promise<Map<string, number>> =>
    new Map(
      (await o.pool.query<{ compound: string; n: number }>("SELECT compound, count(*)::int AS n FROM alarms WHERE compound = ANY($1::text[]) AND status = 'pending' AND type = ANY($2::text[]) GROUP BY compound", [ids, weighed])).rows.map((r) => [r.compound, r.n]),
    );

  return (app) => {
    app.get<{ Querystring: { district?: string } }>('/api/map', async (req) => {
      const rows = await ratedRows(o.pool);
      const districtNames = await names();
      const items: MapInput[] = rows.map((r) => ({ id: r.id, name: r.name, district: r.district, stars: r.stars, index: r.index ?? 0, lat: r.lat, lon: r.lon }));
      const d = mapData(items, districtNames, o.now());
      const district = req.query.district || undefined;
      const low = lowest(district ? items.filter((c) => c.district === district) : items, LOWEST_N);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const [pending, details] = await Promise.all([pendingOf(low.map((c) => c.id)), detailsOf(o.pool, low.map((c) => c.id))]);
      return {
        ...d,
        district: district ?? null,
        points: district ? d.points.filter((p) => p.district === district) : d.points,
        lowest: low.map((c) => ({ id: c.id, name: c.name, district: c.district, stars: c.stars, index: c.index, reasons: driverWords(publicView(asRating(byId.get(c.id)!, details.get(c.id), pending.get(c.id) ?? 0))) })),
      };
    });

    app.get<{ Params: { id: string } }>('/api/compounds/:id/public', async (req, reply) => {
      const r = isSafeId(req.params.id) ? (await ratedRows(o.pool, req.params.id))[0] : undefined;
      if (!r) return reply.code(404).send(webError('SS_WEB_COMPOUND_UNKNOWN', `'${req.params.id.slice(0, 64)}'`));
      const [pending, details] = await Promise.all([pendingOf([r.id]), detailsOf(o.pool, [r.id])]);
      const view = publicView(asRating(r, details.get(r.id), pending.get(r.id) ?? 0));
      // Officer check-ins are not kept in cluster mode yet: none are counted.
      return { ...view, districtName: (await names()).get(r.district) ?? r.district, checkins: {} };
    });
  };
}
