/**
 * One InfluxDB field type per attribute name, decided once and kept: a field's type can never
 * change inside a shard, and a point with the wrong type is refused (HTTP 400, "field type
 * conflict"). Names below are declared; any other attribute gets the type of its first value
 * (integral numbers → integer), and the decision is persisted with the first queued line using it.
 */
export type FieldType = 'string' | 'integer' | 'float' | 'boolean';

/** Attributes whose first value could mislead a first-seen rule (0.93 vs 93, 8 kV vs 7.8 kV). */
const DECLARED: ReadonlyArray<readonly [string, FieldType]> = [
  ['confidence', 'float'], ['voltage_kv', 'float'], ['voltageKv', 'float'], ['currentA', 'float'],
  ['earthKv', 'float'], ['pulseIntervalS', 'float'], ['lat', 'float'], ['lon', 'float'],
  ['latitude', 'float'], ['longitude', 'float'], ['zone', 'integer'], ['lane', 'integer'],
  ['count', 'integer'], ['origin', 'string'],
];

/** Field keys the hub writes itself; an attribute with one of these names gets the prefix `attr_`. */
export const RESERVED_FIELDS: ReadonlySet<string> = new Set([
  'id', 'receivedAt', 'backfilled', 'score', 'scoreThreshold', 'scoreModel', 'anomalous', 'time',
]);

type AttrValue = string | number | boolean;

export function escapeString(s: string): string {
  // Line protocol string fields escape only '"' and '\' (InfluxDB 1.x docs, "Special characters").
  return s.includes('\\') || s.includes('"') ? s.replace(/[\\"]/g, '\\$&') : s;
}

function familyOf(v: AttrValue): FieldType {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return Number.isSafeInteger(v) ? 'integer' : 'float';
}

function encodeAs(type: FieldType, v: AttrValue): string | undefined {
  switch (type) {
    case 'string':
      return `"${escapeString(String(v))}"`;
    case 'boolean':
      return typeof v === 'boolean' ? (v ? 'true' : 'false') : undefined;
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v) ? `${v}i` : undefined;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
  }
}

export class FieldTypes {
  private readonly types = new Map<string, FieldType>(DECLARED);
  private fresh: Array<[string, FieldType]> = [];

  constructor(known: Iterable<readonly [string, FieldType]> = []) {
    for (const [k, t] of known) this.types.set(k, t);
  }

  get(name: string): FieldType | undefined {
    return this.types.get(name);
  }

  /**
   * Encode one attribute as `key=value`. A value that doesn't fit the name's type is kept, not
   * dropped: under `<name>_<its type>` (e.g. `zone_string`), which has a fixed type of its own.
   */
  field(name: string, v: AttrValue): string {
    const key = RESERVED_FIELDS.has(name) ? `attr_${name}` : name;
    let type = this.types.get(key);
    if (type === undefined) {
      type = familyOf(v);
      this.learn(key, type);
    }
    const enc = encodeAs(type, v);
    if (enc !== undefined) return `${key}=${enc}`;
    const alt = `${key}_${familyOf(v)}`;
    let altType = this.types.get(alt);
    if (altType === undefined) {
      altType = familyOf(v);
      this.learn(alt, altType);
    }
    return `${alt}=${encodeAs(altType, v) ?? `"${escapeString(String(v))}"`}`;
  }

  private learn(key: string, type: FieldType): void {
    this.types.set(key, type);
    this.fresh.push([key, type]);
  }

  /**
   * Take the type InfluxDB already has for `name` (a reused database, a fresh data folder). It wins
   * over declared and earlier decisions: a line with any other type would be refused anyway.
   * Returns whether anything changed.
   */
  adopt(name: string, type: FieldType): boolean {
    if (this.types.get(name) === type) return false;
    this.learn(name, type);
    return true;
  }

  /** Decisions made since the last call: the caller persists them with the lines that used them. */
  takeNew(): Array<[string, FieldType]> {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /** Undo decisions whose lines were never committed (the transaction failed). */
  forget(entries: ReadonlyArray<[string, FieldType]>): void {
    for (const [k] of entries) this.types.delete(k);
    for (const [k, t] of DECLARED) this.types.set(k, t);
  }
}
