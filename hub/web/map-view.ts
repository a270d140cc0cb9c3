/**
 * The city map's data (一图), computed from the rating list and the compounds' locations. Pure:
 * the plugin fetches, this shapes. Shares are of rated compounds per district (DOMAIN.md: Xiamen
 * published 31.9 % five-star overall, every district above 25 %).
 */
export interface MapInput {
  id: string;
  name: string;
  district: string;
  stars: number;
  index: number;
  lat: number | null;
  lon: number | null;
}

export interface MapPoint {
  id: string;
  name: string;
  district: string;
  stars: number;
  index: number;
  lat: number;
  lon: number;
}

export interface DistrictStat {
  id: string;
  name: string;
  compounds: number;
  fiveStar: number;
  /** fiveStar / compounds, 0..1 (0 for an empty district). */
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
  for (const c of items) {
    const s = Math.max(0, Math.min(5, Math.round(c.stars)));
    byStars[s] = (byStars[s] ?? 0) + 1;
  }
  const fiveStar = byStars[5] ?? 0;
  return { id, name, compounds: items.length, fiveStar, share: items.length ? fiveStar / items.length : 0, byStars };
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

/** The lowest-rated compounds: fewest stars first, then lowest index; ties by id (stable lists). */
export function lowest<T extends { id: string; stars: number; index: number }>(items: readonly T[], n: number): T[] {
  return [...items].sort((a, b) => a.stars - b.stars || a.index - b.index || a.id.localeCompare(b.id)).slice(0, n);
}
