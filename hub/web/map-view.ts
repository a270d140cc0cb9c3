/**
 * The city map's data (一图), computed from the rating list and the compounds' locations. Pure:
 * the plugin fetches, this shapes. Shares are of RATED compounds per district (DOMAIN.md: Xiamen
 * published 31.9 % five-star overall, every district above 25 %); unrated ones (not enough data)
 * are counted apart, never as five-star and never as failing.
 */
export interface MapInput {
  id: string;
  name: string;
  district: string;
  /** null: unrated. */
  stars: number | null;
  index: number;
  lat: number | null;
  lon: number | null;
}

export interface MapPoint {
  id: string;
  name: string;
  district: string;
  stars: number | null;
  index: number;
  lat: number;
  lon: number;
}

export interface DistrictStat {
  id: string;
  name: string;
  compounds: number;
  /** Compounds without enough data to rate (not in `share`). */
  unrated: number;
  fiveStar: number;
  /** fiveStar / rated compounds, 0..1 (0 when none is rated). */
  share: number;
  /** Compounds per star value 0..5. */
  byStars: number[];
}

export interface MapData {
  generatedAt: string;
  total: DistrictStat;
  districts: DistrictStat[];
  points: MapPoint[];
  /** Compounds that have no location: counted, not drawn. */
  unplaced: number;
}

function stat(id: string, name: string, items: readonly MapInput[]): DistrictStat {
  const byStars = [0, 0, 0, 0, 0, 0];
  let unrated = 0;
  for (const c of items) {
    if (c.stars === null) {
      unrated++;
      continue;
    }
    const s = Math.max(0, Math.min(5, Math.round(c.stars)));
    byStars[s] = (byStars[s] ?? 0) + 1;
  }
  const fiveStar = byStars[5] ?? 0;
  const rated = items.length - unrated;
  return { id, name, compounds: items.length, unrated, fiveStar, share: rated ? fiveStar / rated : 0, byStars };
}

export function mapData(items: readonly MapInput[], districtNames: ReadonlyMap<string, string>, now: number): MapData {
  const byDistrict = new Map<string, MapInput[]>();
  for (const c of items) {
    let list = byDistrict.get(c.district);
    if (!list) byDistrict.set(c.district, (list = []));
    list.push(c);
  }
  const districts = [...byDistrict.entries()]
    .map(([id, list]) => stat(id, districtNames.get(id) ?? id, list))
    .sort((a, b) => a.id.localeCompare(b.id));
  const points: MapPoint[] = [];
  for (const c of items) {
    if (c.lat === null || c.lon === null) continue;
    points.push({ id: c.id, name: c.name, district: c.district, stars: c.stars, index: c.index, lat: c.lat, lon: c.lon });
  }
  return { generatedAt: new Date(now).toISOString(), total: stat('all', 'all', items), districts, points, unplaced: items.length - points.length };
}

/** The lowest-rated compounds (unrated ones are not "low"): fewest stars, then lowest index; ties by id. */
export function lowest<T extends { id: string; stars: number | null; index: number }>(items: readonly T[], n: number): T[] {
  return items
    .filter((c): c is T & { stars: number } => c.stars !== null)
    .sort((a, b) => a.stars - b.stars || a.index - b.index || a.id.localeCompare(b.id))
    .slice(0, n);
}
