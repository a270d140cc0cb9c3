/**
 * District areas for the offline map, generated from the compounds' own coordinates (no tile
 * server, no shipped boundary file): the city's box is cut into a grid, each cell goes to the
 * district of its nearest compound (a raster Voronoi), and cells far from every compound stay
 * outside the city. Out come GeoJSON polygons per district (runs of cells), the boundary lines
 * between districts, and a label point per district placed where it covers no compound.
 */
export interface PlacedCompound {
  lat: number;
  lon: number;
  district: string;
}

export interface DistrictLayer {
  type: 'FeatureCollection';
  /** [[south, west], [north, east]] of the city (null: no compound has a location). */
  bounds: [[number, number], [number, number]] | null;
  features: Array<
    | { type: 'Feature'; properties: { kind: 'district'; id: string; name: string; compounds: number; label: [number, number] }; geometry: { type: 'MultiPolygon'; coordinates: number[][][][] } }
    | { type: 'Feature'; properties: { kind: 'boundary' }; geometry: { type: 'MultiLineString'; coordinates: number[][][] } }
  >;
}

export interface DistrictLayerOptions {
  /** Grid cells along the longer side of the city's box. */
  cells: number;
  /** A cell belongs to the city when its nearest compound is within this many median neighbour spacings. */
  reach: number;
}

export const DISTRICT_LAYER_DEFAULTS: DistrictLayerOptions = { cells: 64, reach: 3 };

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

export function districtLayer(points: readonly PlacedCompound[], names: ReadonlyMap<string, string>, o: DistrictLayerOptions = DISTRICT_LAYER_DEFAULTS): DistrictLayer {
  if (points.length === 0) return { type: 'FeatureCollection', bounds: null, features: [] };
  let la0 = Infinity, la1 = -Infinity, lo0 = Infinity, lo1 = -Infinity;
  for (const p of points) {
    la0 = Math.min(la0, p.lat); la1 = Math.max(la1, p.lat);
    lo0 = Math.min(lo0, p.lon); lo1 = Math.max(lo1, p.lon);
  }
  // Distances in a local plane: a degree of longitude is cos(lat) of a degree of latitude.
  const k = Math.cos(((la0 + la1) / 2) * Math.PI / 180);
  const xy = points.map((p) => ({ x: (p.lon - lo0) * k, y: p.lat - la0, d: p.district }));
  // Median nearest-neighbour spacing sets how far the city reaches beyond its outer compounds.
  const nn = xy.map((a, i) => {
    let m = Infinity;
    for (let j = 0; j < xy.length; j++) if (j !== i) m = Math.min(m, Math.hypot(a.x - xy[j]!.x, a.y - xy[j]!.y));
    return m;
  }).filter(Number.isFinite).sort((a, b) => a - b);
  const spacing = nn.length ? nn[Math.floor(nn.length / 2)]! : 0.01;
  const reach = Math.max(spacing * o.reach, 1e-3);
  const w = (lo1 - lo0) * k + 2 * reach;
  const h = la1 - la0 + 2 * reach;
  const size = Math.max(w, h) / o.cells;
  const nx = Math.max(1, Math.ceil(w / size));
  const ny = Math.max(1, Math.ceil(h / size));
  const x0 = -reach, y0 = -reach;
  const ids = [...new Set(points.map((p) => p.district))].sort();
  const index = new Map(ids.map((d, i) => [d, i]));
  // grid[j][i]: district index of the cell, -1 outside. dist: distance to the nearest compound.
  const grid: Int16Array[] = [];
  const dist: Float64Array[] = [];
  for (let j = 0; j < ny; j++) {
    const row = new Int16Array(nx).fill(-1);
    const drow = new Float64Array(nx);
    const cy = y0 + (j + 0.5) * size;
    for (let i = 0; i < nx; i++) {
      const cx = x0 + (i + 0.5) * size;
      let best = Infinity;
      let who = -1;
      for (const p of xy) {
        const dd = (p.x - cx) ** 2 + (p.y - cy) ** 2;
        if (dd < best) (best = dd), (who = index.get(p.d)!);
      }
      drow[i] = Math.sqrt(best);
      if (drow[i]! <= reach) row[i] = who;
    }
    grid.push(row);
    dist.push(drow);
  }
  const lon = (x: number): number => round(lo0 + x / k);
  const lat = (y: number): number => round(la0 + y);
  const at = (i: number, j: number): number => (i < 0 || j < 0 || i >= nx || j >= ny ? -1 : grid[j]![i]!);

  const features: DistrictLayer['features'] = [];
  ids.forEach((id, di) => {
    const polys: number[][][][] = [];
    let label: [number, number] | null = null;
    let labelScore = -Infinity;
    for (let j = 0; j < ny; j++) {
      let i = 0;
      while (i < nx) {
        if (grid[j]![i] !== di) { i++; continue; }
        const start = i;
        while (i < nx && grid[j]![i] === di) {
          // The label goes where the nearest compound is farthest, away from the district's edge.
          const inner = at(i - 1, j) === di && at(i + 1, j) === di && at(i, j - 1) === di && at(i, j + 1) === di;
          const score = dist[j]![i]! + (inner ? size : 0);
          if (score > labelScore) (labelScore = score), (label = [lat(y0 + (j + 0.5) * size), lon(x0 + (i + 0.5) * size)]);
          i++;
        }
        const ya = y0 + j * size, yb = ya + size, xa = x0 + start * size, xb = x0 + i * size;
        polys.push([[[lon(xa), lat(ya)], [lon(xb), lat(ya)], [lon(xb), lat(yb)], [lon(xa), lat(yb)], [lon(xa), lat(ya)]]]);
      }
    }
    const n = points.filter((p) => p.district === id).length;
    features.push({ type: 'Feature', properties: { kind: 'district', id, name: names.get(id) ?? id, compounds: n, label: label ?? [points[0]!.lat, points[0]!.lon] }, geometry: { type: 'MultiPolygon', coordinates: polys } });
  });

  // Boundary segments between cells of different districts (or the city's edge), merged along runs.
  const lines: number[][][] = [];
  for (let j = 0; j <= ny; j++) {
    let run: number | null = null;
    for (let i = 0; i <= nx; i++) {
      const edge = i < nx && at(i, j - 1) !== at(i, j);
      if (edge && run === null) run = i;
      if (!edge && run !== null) {
        lines.push([[lon(x0 + run * size), lat(y0 + j * size)], [lon(x0 + i * size), lat(y0 + j * size)]]);
        run = null;
      }
    }
  }
  for (let i = 0; i <= nx; i++) {
    let run: number | null = null;
    for (let j = 0; j <= ny; j++) {
      const edge = j < ny && at(i - 1, j) !== at(i, j);
      if (edge && run === null) run = j;
      if (!edge && run !== null) {
        lines.push([[lon(x0 + i * size), lat(y0 + run * size)], [lon(x0 + i * size), lat(y0 + j * size)]]);
        run = null;
      }
    }
  }
  features.push({ type: 'Feature', properties: { kind: 'boundary' }, geometry: { type: 'MultiLineString', coordinates: lines } });
  return { type: 'FeatureCollection', bounds: [[lat(y0), lon(x0)], [lat(y0 + ny * size), lon(x0 + nx * size)]], features };
}
