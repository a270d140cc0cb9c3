/**
 * f8: per-compound memory for "someone entered a camera's region, a door of the compound was
 * forced, and they stayed in the region a while after it" (DOMAIN.md's burglary without the fence
 * cut). Cameras report region entries and leaves (Hik regionEntrance / regionExiting /
 * fielddetection, GB/T 28181 intrusion EventType 1 / 2); an entry is "open" until its camera
 * region reports a leave. On a leave, the pattern holds when one of the region's open entries
 * began at most `enterToDoorMs` before a forced door of the compound, and that door is at least
 * `minStayMs` and at most `doorToLeaveMs` older than the leave: a passer-by in view while a door
 * is forced leaves within seconds; an intruder stays.
 *
 * Each leave also measures its span's `coverMs`: how much of the time line a forced door could
 * have fallen on and made this entry and leave the pattern. Summed over a compound's spans and
 * divided by the time they came from, that is the chance per forced door that normal traffic
 * forms the pattern, measured rather than assumed (features.ts uses it to gate the feature).
 * Bounded: at most MAX_KEYS camera regions per compound, MAX_OPEN open entries per region,
 * MAX_FORCED forced doors.
 */
export const MAX_KEYS = 512;
const MAX_OPEN = 4;
const MAX_FORCED = 8;

/** Saved form: [forced door times, [camera region key, open entry times][]]. */
export type EntrySpanSnap = [number[], [string, number[]][]];

export class EntrySpanMemory {
  private forcedT: number[] = [];
  /** Camera region key → open entry times (oldest first); an empty list = every entry has left. */
  private readonly open = new Map<string, number[]>();

  /** Of the last `leave`: the span's cover (ms) as above, 0 when the region had no open entry. */
  coverMs = 0;

  constructor(private readonly enterToDoorMs: number, private readonly doorToLeaveMs: number, private readonly minStayMs: number) {}

  forced(t: number): void {
    this.forcedT.push(t);
    if (this.forcedT.length > MAX_FORCED) this.forcedT.shift();
  }

  enter(key: string, t: number): void {
    // An entry older than both windows can no longer start the pattern.
    const list = (this.listOf(key) ?? []).filter((t0) => t - t0 <= this.enterToDoorMs + this.doorToLeaveMs);
    list.push(t);
    if (list.length > MAX_OPEN) list.shift();
    this.put(key, list);
  }

  /**
   * The leave of `key` at `t`: true when an open entry spans a forced door as above; sets
   * `coverMs` for the entry it closes. A leave closes one entry, the newest: a camera reports
   * each target's leave but names no target, and whoever entered last is the likelier to leave
   * first (a passer-by crossing the view while someone stays must not end the stay).
   */
  leave(key: string, t: number): boolean {
    const list = this.listOf(key) ?? [];
    let hit = false;
    for (const t1 of this.forcedT) {
      const stay = t - t1;
      if (stay < this.minStayMs || stay > this.doorToLeaveMs) continue;
      for (const t0 of list) if (t0 <= t1 && t1 - t0 <= this.enterToDoorMs) hit = true;
    }
    const closed = list.pop();
    this.coverMs = closed === undefined ? 0 : this.cover(closed, t);
    this.put(key, list);
    return hit;
  }

  /** Length of [t0, t0 + enterToDoor] ∩ [t − doorToLeave, t − minStay]: the forced-door times that make the span t0 → t the pattern. */
  private cover(t0: number, t: number): number {
    return Math.max(0, Math.min(t0 + this.enterToDoorMs, t - this.minStayMs) - Math.max(t0, t - this.doorToLeaveMs));
  }

  save(): EntrySpanSnap {
    return [this.forcedT.slice(), [...this.open.entries()].map(([k, l]) => [k, l.slice()])];
  }

  load([forced, open]: EntrySpanSnap): void {
    if (!Array.isArray(forced) || !Array.isArray(open)) throw new Error('entry-span memory malformed');
    this.forcedT = forced.slice(-MAX_FORCED).map(Number);
    this.open.clear();
    for (const [k, l] of open.slice(-MAX_KEYS)) this.open.set(String(k), l.slice(-MAX_OPEN).map(Number));
  }

  private listOf(key: string): number[] | undefined {
    const l = this.open.get(key);
    if (l !== undefined) {
      // Least recently reported region last: the bound evicts the one silent longest.
      this.open.delete(key);
    }
    return l;
  }

  private put(key: string, list: number[]): void {
    if (!this.open.has(key) && this.open.size >= MAX_KEYS) this.open.delete(this.open.keys().next().value!);
    this.open.set(key, list);
  }
}
