/**
 * Bounded building blocks for the feature extractor: memory per device and per compound must stay
 * fixed however long the edge runs and however hostile the traffic (STYLE.md habit 8).
 */

/** A Map that forgets its least recently used key past `max` entries. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  /** Get and mark as recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Take over another map's entries (same order). */
  replaceWith(other: LruMap<K, V>): void {
    this.map.clear();
    for (const [k, v] of other.entries()) this.map.set(k, v);
  }

  /** Entries, least recently used first (a snapshot restored in this order keeps the LRU order). */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}

/** One event remembered inside a sliding window. */
export interface WindowEntry {
  t: number;
  routine: boolean;
  denial: boolean;
  grant: boolean;
  /** Credential (hashed at the edge) or undefined. */
  cred: string | undefined;
  device: string;
  /** Event type index (models/features.ts TYPE order). */
  type: number;
  /** A type this device almost never emits (see features.ts RARE_SURPRISE). */
  rare: boolean;
}

/** First ring size of a window; it doubles up to its capacity as the window fills. */
const INITIAL_RING = 8;
/** An entry's flags, as `SlidingWindow.add` takes them and snapshot tuples store them. */
export const ROUTINE = 1;
export const DENIAL = 2;
export const GRANT = 4;
export const RARE = 8;

/**
 * Time-based sliding window over at most `capacity` entries with running counts, so every query
 * is O(1). When the ring is full the oldest entry leaves early: counts saturate at `capacity`,
 * which the features read through log1p anyway.
 *
 * Memory (issue 14, soak): the ring is columns (time, flags, type, device, credential), not one
 * object per entry, and starts at INITIAL_RING slots, doubling up to `capacity` only while the
 * window really holds that many. A preallocated 512-slot array per device and 4,096 per
 * compound, plus a ~100-byte object per event kept by two windows, were most of the scorer's
 * heap on a 2,000-device edge, where most devices hold a handful of events. Same entries, same
 * eviction order, same counts as before.
 */
export class SlidingWindow {
  private ts: Float64Array;
  private flags: Uint8Array;
  private kinds: Uint16Array;
  private devs: string[];
  private credRing: (string | undefined)[];
  private head = 0; // index of the oldest entry
  private len = 0;
  count = 0;
  alarms = 0;
  denials = 0;
  grants = 0;
  /** type index → occurrences in the window */
  readonly types = new TypeCounts();
  /** credential → occurrences in the window */
  readonly creds = new Map<string, number>();
  /** device → rare-event occurrences in the window */
  readonly rareDevices = new Map<string, number>();
  /** non-routine type index → occurrences in the window */
  readonly alarmTypes = new TypeCounts();
  /** device → non-routine occurrences in the window */
  readonly alarmDevices = new Map<string, number>();
  /** rare type index → occurrences in the window */
  readonly rareTypes = new Map<number, number>();
  /** credential → denials of it in the window (distinct refused credentials: scans) */
  readonly deniedCreds = new Map<string, number>();

  constructor(readonly spanMs: number, readonly capacity: number) {
    const n = Math.max(1, Math.min(capacity, INITIAL_RING));
    this.ts = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.kinds = new Uint16Array(n);
    this.devs = new Array<string>(n).fill('');
    this.credRing = new Array<string | undefined>(n).fill(undefined);
  }

  /** Slots allocated now (≤ capacity). */
  get allocated(): number {
    return this.ts.length;
  }

  push(e: WindowEntry): void {
    this.add(e.t, (e.routine ? ROUTINE : 0) | (e.denial ? DENIAL : 0) | (e.grant ? GRANT : 0) | (e.rare ? RARE : 0), e.type, e.device, e.cred);
  }

  /**
   * `push` by parts, `flags` as ROUTINE | DENIAL | GRANT | RARE: the extractor adds every event
   * to two windows, and an entry object per event was garbage the moment it was stored.
   */
  add(t: number, flags: number, type: number, device: string, cred: string | undefined): void {
    this.evictBefore(t - this.spanMs);
    if (this.len === this.capacity) this.shift();
    else if (this.len === this.ts.length) this.grow();
    const i = (this.head + this.len) % this.ts.length;
    this.ts[i] = t;
    this.flags[i] = flags;
    this.kinds[i] = type;
    this.devs[i] = device;
    this.credRing[i] = cred;
    this.len++;
    this.count++;
    const denial = (flags & DENIAL) !== 0;
    if ((flags & ROUTINE) === 0) {
      this.alarms++;
      this.alarmTypes.inc(type);
      this.alarmDevices.set(device, (this.alarmDevices.get(device) ?? 0) + 1);
    }
    if ((flags & RARE) !== 0) {
      this.rareDevices.set(device, (this.rareDevices.get(device) ?? 0) + 1);
      this.rareTypes.set(type, (this.rareTypes.get(type) ?? 0) + 1);
    }
    if (denial) this.denials++;
    if ((flags & GRANT) !== 0) this.grants++;
    this.types.inc(type);
    if (cred !== undefined) {
      this.creds.set(cred, (this.creds.get(cred) ?? 0) + 1);
      if (denial) this.deniedCreds.set(cred, (this.deniedCreds.get(cred) ?? 0) + 1);
    }
  }

  /** The entries in the window, oldest first (for snapshots; re-`push` them to restore). */
  entries(): WindowEntry[] {
    const out: WindowEntry[] = new Array(this.len);
    const size = this.ts.length;
    for (let k = 0; k < this.len; k++) {
      const i = (this.head + k) % size;
      const f = this.flags[i]!;
      out[k] = {
        t: this.ts[i]!, routine: (f & ROUTINE) !== 0, denial: (f & DENIAL) !== 0, grant: (f & GRANT) !== 0,
        cred: this.credRing[i], device: this.devs[i]!, type: this.kinds[i]!, rare: (f & RARE) !== 0,
      };
    }
    return out;
  }

  /**
   * The entries as snapshot tuples, oldest first: [t, flags (routine 1 | denial 2 | grant 4 |
   * rare 8), type, device, credential or null] (models/features.ts EntryTuple), straight from
   * the columns: a save runs every 30 s over every window, and an entry object per tuple was half
   * of its garbage.
   */
  tuples(): [number, number, number, string, string | null][] {
    const out: [number, number, number, string, string | null][] = new Array(this.len);
    const size = this.ts.length;
    for (let k = 0; k < this.len; k++) {
      const i = (this.head + k) % size;
      out[k] = [this.ts[i]!, this.flags[i]!, this.kinds[i]!, this.devs[i]!, this.credRing[i] ?? null];
    }
    return out;
  }

  evictBefore(minT: number): void {
    // Written as !(t >= minT), as the object ring was: a NaN time leaves, too.
    while (this.len > 0 && !(this.ts[this.head]! >= minT)) this.shift();
  }

  /** Double the ring (up to capacity), oldest entry first at index 0. */
  private grow(): void {
    const size = this.ts.length;
    const next = Math.min(this.capacity, size * 2);
    const ts = new Float64Array(next);
    const flags = new Uint8Array(next);
    const kinds = new Uint16Array(next);
    const devs = new Array<string>(next).fill('');
    const credRing = new Array<string | undefined>(next).fill(undefined);
    for (let k = 0; k < this.len; k++) {
      const i = (this.head + k) % size;
      ts[k] = this.ts[i]!;
      flags[k] = this.flags[i]!;
      kinds[k] = this.kinds[i]!;
      devs[k] = this.devs[i]!;
      credRing[k] = this.credRing[i];
    }
    this.ts = ts;
    this.flags = flags;
    this.kinds = kinds;
    this.devs = devs;
    this.credRing = credRing;
    this.head = 0;
  }

  private shift(): void {
    const i = this.head;
    const f = this.flags[i]!;
    const type = this.kinds[i]!;
    const device = this.devs[i]!;
    const cred = this.credRing[i];
    this.devs[i] = '';
    this.credRing[i] = undefined;
    this.head = (i + 1) % this.ts.length;
    this.len--;
    this.count--;
    if ((f & ROUTINE) === 0) {
      this.alarms--;
      this.alarmTypes.dec(type);
      decrement(this.alarmDevices, device);
    }
    if ((f & RARE) !== 0) {
      decrement(this.rareDevices, device);
      decrement(this.rareTypes, type);
    }
    if ((f & DENIAL) !== 0) this.denials--;
    if ((f & GRANT) !== 0) this.grants--;
    this.types.dec(type);
    if (cred !== undefined) {
      decrement(this.creds, cred);
      if ((f & DENIAL) !== 0) decrement(this.deniedCreds, cred);
    }
  }
}

/**
 * Occurrences per event-type index with the number of distinct types, as a Map<number, number>
 * with its zero entries deleted would give them: type indices are small, and the two windows
 * every event enters hashed them four times per event (issue 15 cost).
 */
export class TypeCounts {
  private counts = new Uint32Array(64);
  /** Distinct types with a count (Map.size). */
  size = 0;

  get(type: number): number | undefined {
    const c = this.counts[type];
    return c === undefined || c === 0 ? undefined : c;
  }

  inc(type: number): void {
    if (type >= this.counts.length) {
      const next = new Uint32Array(Math.max(type + 1, this.counts.length * 2));
      next.set(this.counts);
      this.counts = next;
    }
    const c = this.counts[type]!;
    this.counts[type] = c + 1;
    if (c === 0) this.size++;
  }

  dec(type: number): void {
    const c = this.counts[type] ?? 0;
    if (c === 0) return;
    this.counts[type] = c - 1;
    if (c === 1) this.size--;
  }

  /** [type, count] of every type present, ascending. */
  *entries(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]! > 0) yield [i, this.counts[i]!];
  }
}

function decrement<K>(m: Map<K, number>, key: K): void {
  const n = (m.get(key) ?? 0) - 1;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

/**
 * Counts that fade with a half-life: the device's long memory of which event types and which hours
 * are normal for it, in a fixed number of floats.
 */
export class DecayingCounts {
  /** Counts in the frame of `scale`: the decayed count of i is raw[i] × scale. */
  private readonly raw: Float64Array;
  private rawTotal = 0;
  private scale = 1;
  private last = Number.NaN;

  constructor(size: number, readonly halfLifeMs: number) {
    this.raw = new Float64Array(size);
  }

  /** The decayed count of `i` as of the last `decayTo`. */
  value(i: number): number {
    return (this.raw[i] ?? 0) * this.scale;
  }

  get total(): number {
    return this.rawTotal * this.scale;
  }

  /**
   * Decay everything to time t (monotone; earlier times are treated as `last`). O(1): only the
   * common scale moves (decaying every count was ~15 % of the extractor's time, issue 15 cost);
   * the counts are folded back into it before the scale could underflow.
   */
  decayTo(t: number): void {
    if (Number.isNaN(this.last)) {
      this.last = t;
      return;
    }
    if (t <= this.last) return;
    this.scale *= Math.pow(2, -(t - this.last) / this.halfLifeMs);
    this.last = t;
    if (this.scale < RENORMALISE_BELOW) this.fold();
  }

  private fold(): void {
    for (let i = 0; i < this.raw.length; i++) this.raw[i] = this.raw[i]! * this.scale;
    this.rawTotal *= this.scale;
    this.scale = 1;
  }

  /** Plain data for a snapshot (`last` NaN → null in JSON): the decayed counts, as before. */
  save(): { values: number[]; total: number; last: number | null } {
    return { values: Array.from(this.raw, (v) => v * this.scale), total: this.total, last: Number.isNaN(this.last) ? null : this.last };
  }

  load(s: { values: readonly number[]; total: number; last: number | null }): void {
    if (s.values.length !== this.raw.length) throw new Error(`snapshot has ${s.values.length} counts, expected ${this.raw.length}`);
    this.raw.set(s.values);
    this.rawTotal = s.total;
    this.scale = 1;
    this.last = s.last ?? Number.NaN;
  }

  add(i: number, w = 1): void {
    const r = w / this.scale;
    this.raw[i] = (this.raw[i] ?? 0) + r;
    this.rawTotal += r;
  }
}

/** 2^-64: far above underflow, and a count divided by it stays far below overflow. */
const RENORMALISE_BELOW = 2 ** -64;
