import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingWindow, type WindowEntry } from '../../models/windows.ts';

// The object-per-entry ring the features were trained and evaluated with (models/windows.ts
// before the columnar ring, issue 14), kept verbatim as the reference.
class ObjectRingWindow {
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

const sorted = (m: { entries(): Iterable<[unknown, number]> }): [unknown, number][] => [...m.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

function view(w: SlidingWindow | ObjectRingWindow): unknown {
  return {
    entries: w.entries(), count: w.count, alarms: w.alarms, denials: w.denials, grants: w.grants,
    maps: [w.types, w.creds, w.rareDevices, w.alarmTypes, w.alarmDevices, w.rareTypes, w.deniedCreds].map(sorted),
  };
}

const entry = fc.record({
  dt: fc.integer({ min: -50, max: 400 }),
  routine: fc.boolean(), denial: fc.boolean(), grant: fc.boolean(), rare: fc.boolean(),
  cred: fc.option(fc.constantFrom('c1', 'c2', 'c3', 'c4'), { nil: undefined }),
  device: fc.constantFrom('d1', 'd2', 'd3'),
  type: fc.integer({ min: 0, max: 40 }),
});

describe('columnar sliding window', () => {
  it('holds the same entries and counts as the object ring, through growth, time eviction and saturation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 2000 }), fc.array(entry, { maxLength: 300 }), (capacity, span, xs) => {
        const a = new SlidingWindow(span, capacity);
        const b = new ObjectRingWindow(span, capacity);
        let t = 1_000_000;
        for (const x of xs) {
          t += x.dt; // mostly forward, sometimes a little back (late events)
          const e: WindowEntry = { t, routine: x.routine, denial: x.denial, grant: x.grant, rare: x.rare, cred: x.cred, device: x.device, type: x.type };
          a.push(e);
          b.push({ ...e });
          expect(view(a)).toEqual(view(b));
          // Snapshot tuples as features.ts wrote them from entry objects before.
          expect(a.tuples()).toEqual(b.entries().map((x) => [x.t, (x.routine ? 1 : 0) | (x.denial ? 2 : 0) | (x.grant ? 4 : 0) | (x.rare ? 8 : 0), x.type, x.device, x.cred ?? null]));
          expect(a.allocated).toBeLessThanOrEqual(capacity);
        }
        a.evictBefore(t);
        b.evictBefore(t);
        expect(view(a)).toEqual(view(b));
      }),
      { numRuns: 300 },
    );
  });

  it('allocates for what it holds, not for its capacity', () => {
    const w = new SlidingWindow(600_000, 4096);
    for (let i = 0; i < 3; i++) w.push({ t: i, routine: true, denial: false, grant: true, rare: false, cred: undefined, device: 'd', type: 1 });
    expect(w.allocated).toBe(8);
    for (let i = 3; i < 5000; i++) w.push({ t: i, routine: true, denial: false, grant: true, rare: false, cred: undefined, device: 'd', type: 1 });
    expect(w.allocated).toBe(4096);
    expect(w.count).toBe(4096);
  });
});
