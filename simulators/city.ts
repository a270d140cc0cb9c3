import type { City, CityCompound, CityDevice, CityDistrict } from '../protocol/city.ts';
import type { DeviceKind } from '../protocol/devices.ts';
import { profilesOfKind, type VendorProfile } from '../protocol/vendors.ts';
import { Rng } from './random.ts';

/**
 * Seeded city generator (issue 3, DOMAIN.md "Calibration target"): Xiamen's six districts,
 * lognormal households, coordinates inside each district's box, device counts that scale with
 * size. Same options → deep-equal city; `cityToJson` is the byte-stable file form.
 */
export interface CityOptions {
  compounds: number;
  /** Number of districts (default 6 = Xiamen's; more get generic names). */
  districts?: number;
  seed: number;
  name?: string;
}

interface DistrictDef {
  id: string;
  name: string;
  /** Share of the city's compounds (roughly by population). */
  weight: number;
  /** Bounding box: [latMin, latMax, lonMin, lonMax] (WGS-84, approximate urban area). */
  box: readonly [number, number, number, number];
}

export const XIAMEN_DISTRICTS: readonly DistrictDef[] = [
  { id: 'siming', name: '思明区 Siming', weight: 0.22, box: [24.43, 24.49, 118.07, 118.2] },
  { id: 'huli', name: '湖里区 Huli', weight: 0.22, box: [24.49, 24.56, 118.08, 118.2] },
  { id: 'jimei', name: '集美区 Jimei', weight: 0.17, box: [24.56, 24.65, 117.98, 118.12] },
  { id: 'haicang', name: '海沧区 Haicang', weight: 0.12, box: [24.44, 24.54, 117.93, 118.06] },
  { id: 'tongan', name: "同安区 Tong'an", weight: 0.15, box: [24.68, 24.8, 118.05, 118.2] },
  { id: 'xiangan', name: "翔安区 Xiang'an", weight: 0.12, box: [24.58, 24.7, 118.22, 118.33] },
];

const NAME_HEADS = [
  '莲花', '金山', '海湾', '湖滨', '瑞景', '禹洲', '建发', '万科', '世纪', '阳光', '龙山', '东方', '国贸',
  '明发', '中海', '鹭江', '白鹭', '筼筜', '嘉禾', '松柏', '湖光', '金尚', '联发', '特房', '海韵', '碧海',
  '天湖', '杏林', '侨英', '同安', '翔鹭', '五缘', '观音山', '钟宅', '高林', '枋湖', '云顶', '前埔', '洪文', '软件园',
];
const NAME_TAILS = ['花园', '新村', '小区', '公寓', '家园', '雅苑', '名城', '华府', '山庄', '城', '里', '湾', '苑', '广场', '公馆'];
const PHASES = ['', '二期', '三期', '四期', '五期', '六期', '七期', '八期', '九期'];

const KIND_CODE: Record<DeviceKind, string> = { access: 'acc', barrier: 'bar', fence: 'fen', camera: 'cam' };

/** Households: lognormal, median ~600, clipped to 50..5000 (DOMAIN.md). */
function drawHouseholds(rng: Rng): number {
  return Math.min(5000, Math.max(50, Math.round(rng.lognormal(600, 0.75))));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Device counts per kind; every compound has at least one of each kind. */
export function deviceCounts(households: number): Record<DeviceKind, number> {
  return {
    access: clamp(Math.round(households / 200) + 1, 1, 30),
    barrier: clamp(Math.round(households / 700) + 1, 1, 8),
    fence: clamp(Math.round(households / 500) + 1, 1, 12),
    camera: clamp(Math.round(households / 60) + 2, 2, 80),
  };
}

const HEARTBEATS: Record<DeviceKind, readonly number[]> = {
  access: [30, 60],
  barrier: [30, 60],
  fence: [60],
  camera: [30, 60],
};

function devicesFor(rng: Rng, compoundId: string, households: number): CityDevice[] {
  const counts = deviceCounts(households);
  const devices: CityDevice[] = [];
  for (const kind of ['access', 'barrier', 'fence', 'camera'] as const) {
    // A compound mostly buys one brand per kind, with some of the other from a later upgrade.
    const [a, b] = profilesOfKind(kind) as [VendorProfile, VendorProfile];
    const primary = rng.chance(0.5) ? a : b;
    const secondary = primary === a ? b : a;
    const n = counts[kind];
    const width = Math.max(2, String(n).length);
    for (let i = 1; i <= n; i++) {
      const device: CityDevice = {
        id: `${compoundId}-${KIND_CODE[kind]}-${String(i).padStart(width, '0')}`,
        kind,
        profile: rng.chance(0.75) ? primary : secondary,
        // Door, lane and fence zone numbers; cameras have none.
        ...(kind !== 'camera' ? { zone: i } : {}),
        heartbeatSeconds: rng.pick(HEARTBEATS[kind]),
      };
      devices.push(device);
    }
  }
  return devices;
}

function districtDefs(n: number): DistrictDef[] {
  const defs = XIAMEN_DISTRICTS.slice(0, Math.min(n, XIAMEN_DISTRICTS.length));
  for (let i = defs.length; i < n; i++) {
    // Extra districts: spread boxes north of the city.
    const lat = 24.8 + 0.1 * (i - XIAMEN_DISTRICTS.length);
    defs.push({ id: `district-${i + 1}`, name: `District ${i + 1}`, weight: 0.1, box: [lat, lat + 0.1, 118.0, 118.2] });
  }
  return defs;
}

export function generateCity(opts: CityOptions): City {
  const nCompounds = Math.floor(opts.compounds);
  const nDistricts = Math.floor(opts.districts ?? 6);
  if (!(nCompounds >= 1)) throw new Error(`SS_SIM_CITY_COMPOUNDS: compounds must be >= 1, got ${opts.compounds}`);
  if (!(nDistricts >= 1)) throw new Error(`SS_SIM_CITY_DISTRICTS: districts must be >= 1, got ${String(opts.districts)}`);
  const root = new Rng(opts.seed);
  const defs = districtDefs(nDistricts);
  const districts: CityDistrict[] = defs.map((d) => ({ id: d.id, name: d.name }));
  const width = Math.max(4, String(nCompounds).length);
  const usedNames = new Set<string>();
  const compounds: CityCompound[] = [];
  for (let i = 1; i <= nCompounds; i++) {
    const id = `c${String(i).padStart(width, '0')}`;
    const rng = root.fork(id);
    // The first compounds go round-robin so small cities still cover every district.
    const def = i <= defs.length ? (defs[i - 1] as DistrictDef) : rng.weighted(defs.map((d) => [d, d.weight] as const));
    const households = drawHouseholds(rng);
    const [latMin, latMax, lonMin, lonMax] = def.box;
    let name = '';
    for (let attempt = 0; ; attempt++) {
      const base = `${rng.pick(NAME_HEADS)}${rng.pick(NAME_TAILS)}`;
      const phase = PHASES[Math.min(Math.floor(attempt / 3), PHASES.length - 1)] ?? '';
      name = attempt >= 3 * PHASES.length ? `${base}${id}` : `${base}${phase}`;
      if (!usedNames.has(name)) break;
    }
    usedNames.add(name);
    compounds.push({
      id,
      name,
      district: def.id,
      households,
      lat: Math.round(rng.uniform(latMin, latMax) * 1e5) / 1e5,
      lon: Math.round(rng.uniform(lonMin, lonMax) * 1e5) / 1e5,
      devices: devicesFor(rng, id, households),
    });
  }
  return { v: 1, seed: opts.seed, name: opts.name ?? `Xiamen (simulated, seed ${opts.seed})`, districts, compounds };
}

/** The city file form: byte-identical for the same seed. */
export function cityToJson(city: City): string {
  return `${JSON.stringify(city, null, 2)}\n`;
}

/** Find a compound or fail with a coded error. */
export function compoundOf(city: City, id: string): CityCompound {
  const c = city.compounds.find((x) => x.id === id);
  if (!c) throw new Error(`SS_SIM_UNKNOWN_COMPOUND: compound '${id}' is not in city '${city.name}'; pick one of ${city.compounds.slice(0, 5).map((x) => x.id).join(', ')}…`);
  return c;
}
