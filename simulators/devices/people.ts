import type { CityCompound } from '../../protocol/city.ts';
import { hash32, Rng } from '../random.ts';

/**
 * Residents and vehicles of a compound, recurring: resident i of compound c is always the same
 * card, name and employee number (derived from a hash, so nothing is stored per compound).
 * Frequent users are picked more often (skewed index), as in real access logs.
 */
const SURNAMES = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Xu', 'Sun', 'Ma', 'Zhu', 'Hu', 'Guo', 'He', 'Lin', 'Luo', 'Zheng', 'Lian', 'Cai', 'Hong', 'Ke', 'Su'];
const GIVEN = ['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Li', 'Qiang', 'Lei', 'Jun', 'Yang', 'Yong', 'Yan', 'Jie', 'Tao', 'Ming', 'Chao', 'Xiuying', 'Xia', 'Ping', 'Gang', 'Hui', 'Jian', 'Hao', 'Yu', 'Xin', 'Zihan', 'Yuxuan', 'Haoran'];
const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ'; // no I, O (GA 36-2018)
const PLATE_CHARS = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const MAKES = ['BYD', 'Toyota', 'Volkswagen', 'Honda', 'Geely', 'Nissan', 'Buick', 'Changan', 'Tesla', 'NIO', 'Li Auto', 'BMW', 'Mercedes-Benz', 'Audi', 'Haval'];
const COLOURS = ['white', 'black', 'silver', 'grey', 'blue', 'red'];

export interface Resident {
  index: number;
  card: string;
  person: string;
  employee: string;
}

export interface Vehicle {
  index: number;
  plate: string;
  plateColor: 'blue' | 'green' | 'yellow';
  make: string;
  colour: string;
}

export function residentCount(c: CityCompound): number {
  return Math.max(20, Math.round(c.households * 1.8));
}

export function vehicleCount(c: CityCompound): number {
  return Math.max(10, Math.round(c.households * 0.7));
}

export function resident(c: CityCompound, index: number): Resident {
  const r = new Rng(hash32(`resident:${c.id}:${index}`));
  return {
    index,
    card: `3${r.digits(9)}`,
    person: `${r.pick(SURNAMES)} ${r.pick(GIVEN)}`,
    employee: `${c.id.toUpperCase()}-${String(index + 1).padStart(5, '0')}`,
  };
}

/** A plate in GA 36 form: province char + city letter + 5 chars; green new-energy plates have 6. */
export function plateFor(rng: Rng, color: 'blue' | 'green' | 'yellow', local = true): string {
  const province = local ? '闽D' : rng.weighted([['闽A', 3], ['闽E', 2], ['闽C', 2], ['粤B', 1], ['浙A', 1], ['沪A', 1]] as const);
  if (color === 'green') return `${province}${rng.pick(['D', 'F'])}${rng.digits(5)}`;
  let tail = rng.pick(PLATE_LETTERS.split(''));
  for (let i = 0; i < 4; i++) tail += PLATE_CHARS[Math.floor(rng.next() * PLATE_CHARS.length)];
  return `${province}${tail}`;
}

export function vehicle(c: CityCompound, index: number): Vehicle {
  const r = new Rng(hash32(`vehicle:${c.id}:${index}`));
  const plateColor = r.weighted([['blue', 85], ['green', 12], ['yellow', 3]] as const);
  return { index, plate: plateFor(r, plateColor, r.chance(0.85)), plateColor, make: r.pick(MAKES), colour: r.pick(COLOURS) };
}

/** Skewed pick: a few regulars account for most passages. */
export function skewedIndex(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(n * rng.next() ** 2));
}

/** A visitor's or stranger's card / plate: never one of the compound's. */
export function strangerCard(rng: Rng): string {
  return `9${rng.digits(9)}`;
}
