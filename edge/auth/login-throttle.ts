/**
 * Failed-login throttle (issue 12), keyed by source address and by device id: the first
 * `freeFailures` failures cost nothing, then each further failure blocks that key for a delay that
 * doubles (1 s, 2 s, 4 s … up to `maxDelayMs`); while blocked, a login for that key is refused at
 * once without a password check. A success clears the key; a quiet `forgetMs` forgets it.
 * Memory is bounded: past `maxKeys` the oldest key is forgotten first.
 */
export interface ThrottleOptions {
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  forgetMs?: number;
  maxKeys?: number;
}

interface Entry {
  failures: number;
  blockedUntil: number;
  lastAt: number;
}

export class LoginThrottle {
  private readonly keys = new Map<string, Entry>();
  private readonly free: number;
  private readonly base: number;
  private readonly max: number;
  private readonly forget: number;
  private readonly maxKeys: number;

  constructor(o: ThrottleOptions = {}) {
    this.free = o.freeFailures ?? 3;
    this.base = o.baseDelayMs ?? 1000;
    this.max = o.maxDelayMs ?? 60_000;
    this.forget = o.forgetMs ?? 15 * 60_000;
    this.maxKeys = o.maxKeys ?? 20_000;
  }

  /** ms this key stays blocked (0: a check may run). */
  blockedFor(key: string, now: number): number {
    const e = this.keys.get(key);
    if (!e) return 0;
    if (now - e.lastAt > this.forget) {
      this.keys.delete(key);
      return 0;
    }
    return Math.max(0, e.blockedUntil - now);
  }

  failed(key: string, now: number): void {
    let e = this.keys.get(key);
    if (e && now - e.lastAt > this.forget) e = undefined;
    if (!e) {
      if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
      e = { failures: 0, blockedUntil: 0, lastAt: now };
    }
    this.keys.delete(key); // re-insert: Map order is then oldest activity first
    e.failures++;
    e.lastAt = now;
    const over = e.failures - this.free;
    if (over > 0) e.blockedUntil = now + Math.min(this.max, this.base * 2 ** Math.min(over - 1, 30));
    this.keys.set(key, e);
  }

  succeeded(key: string): void {
    this.keys.delete(key);
  }

  failures(key: string): number {
    return this.keys.get(key)?.failures ?? 0;
  }
}
