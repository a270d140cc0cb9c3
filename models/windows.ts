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

/**
 * Time-based sliding window over at most `capacity` entries with running counts, so every query
 * is O(1). When the ring is full the oldest entry leaves early: counts saturate at `capacity`,
 * which the features read through log1p anyway.
 */
export class SlidingWindow {
  private readonly ring: (WindowEntry | undefined)[];
  private head = 0; // index of the oldest entry
  private len = 0;
  count = 0;
  alarms = 0;
  denials = 0;
  grants = 0;
  /** type index → occurrences in the window */
  readonly types = new Map<number, number>();
  /** credential → occurrences in the window */
  readonly creds = new Map<string, number>();
  /** device → rare-event occurrences in the window */
  readonly rareDevices = new Map<string, number>();
  /** non-routine type index → occurrences in the window */
  readonly alarmTypes = new Map<number, number>();
  /** device → non-routine occurrences in the window */
  readonly alarmDevices = new Map<string, number>();
  /** rare type index → occurrences in the window */
  readonly rareTypes = new Map<number, number>();
  /** credential → denials of it in the window (distinct refused credentials: scans) */
  readonly deniedCreds = new Map<string, number>();

  constructor(readonly spanMs: number, readonly capacity: number) {
    this.ring = new Array<WindowEntry | undefined>(capacity);
  }

  push(e: WindowEntry): void {
    this.evictBefore(e.t - this.spanMs);
    if (this.len === this.capacity) this.shift();
    this.ring[(this.head + this.len) % this.capacity] = e;
    this.len++;
    this.count++;
    if (!e.routine) {
      this.alarms++;
      this.alarmTypes.set(e.type, (this.alarmTypes.get(e.type) ?? 0) + 1);
      this.alarmDevices.set(e.device, (this.alarmDevices.get(e.device) ?? 0) + 1);
    }
    if (e.rare) {
      this.rareDevices.set(e.device, (this.rareDevices.get(e.device) ?? 0) + 1);
      this.rareTypes.set(e.type, (this.rareTypes.get(e.type) ?? 0) + 1);
    }
    if (e.denial) this.denials++;
    if (e.grant) this.grants++;
    this.types.set(e.type, (this.types.get(e.type) ?? 0) + 1);
    if (e.cred !== undefined) {
      this.creds.set(e.cred, (this.creds.get(e.cred) ?? 0) + 1);
      if (e.denial) this.deniedCreds.set(e.cred, (this.deniedCreds.get(e.cred) ?? 0) + 1);
    }
  }

  /** The entries in the window, oldest first (for snapshots; re-`push` them to restore). */
  entries(): WindowEntry[] {
    const out: WindowEntry[] = [];
    for (let i = 0; i < this.len; i++) {
      const e = this.ring[(this.head + i) % this.capacity];
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  evictBefore(minT: number): void {
    while (this.len > 0) {
      const oldest = this.ring[this.head];
      if (oldest === undefined || oldest.t >= minT) break;
      this.shift();
    }
  }

  private shift(): void {
    const e = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.len--;
    if (e === undefined) return;
    this.count--;
    if (!e.routine) {
      this.alarms--;
      decrement(this.alarmTypes, e.type);
      decrement(this.alarmDevices, e.device);
    }
    if (e.rare) {
      decrement(this.rareDevices, e.device);
      decrement(this.rareTypes, e.type);
    }
    if (e.denial) this.denials--;
    if (e.grant) this.grants--;
    decrement(this.types, e.type);
    if (e.cred !== undefined) {
      decrement(this.creds, e.cred);
      if (e.denial) decrement(this.deniedCreds, e.cred);
    }
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
  readonly values: Float64Array;
  total = 0;
  private last = Number.NaN;

  constructor(size: number, readonly halfLifeMs: number) {
    this.values = new Float64Array(size);
  }

  /** Decay everything to time t (monotone; earlier times are treated as `last`). */
  decayTo(t: number): void {
    if (Number.isNaN(this.last)) {
      this.last = t;
      return;
    }
    if (t <= this.last) return;
    const f = Math.pow(2, -(t - this.last) / this.halfLifeMs);
    for (let i = 0; i < this.values.length; i++) this.values[i] = this.values[i]! * f;
    this.total *= f;
    this.last = t;
  }

  /** Plain data for a snapshot (`last` NaN → null in JSON). */
  save(): { values: number[]; total: number; last: number | null } {
    return { values: Array.from(this.values), total: this.total, last: Number.isNaN(this.last) ? null : this.last };
  }

  load(s: { values: readonly number[]; total: number; last: number | null }): void {
    if (s.values.length !== this.values.length) throw new Error(`snapshot has ${s.values.length} counts, expected ${this.values.length}`);
    this.values.set(s.values);
    this.total = s.total;
    this.last = s.last ?? Number.NaN;
  }

  add(i: number, w = 1): void {
    this.values[i] = (this.values[i] ?? 0) + w;
    this.total += w;
  }
}
