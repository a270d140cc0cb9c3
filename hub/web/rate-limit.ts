import { createHash, randomBytes } from 'node:crypto';

export interface RateLimitOptions {
  /** Requests allowed per key per window. Default 5. */
  limit: number;
  /** Window length (ms). Default 10 minutes. */
  windowMs: number;
  /** Keys remembered at most; the oldest window is forgotten first (bounded memory). Default 10,000. */
  maxKeys: number;
}

export const RATE_LIMIT_DEFAULTS: RateLimitOptions = { limit: 5, windowMs: 10 * 60_000, maxKeys: 10_000 };

/**
 * Fixed-window limiter keyed by a salted hash of the client address: the raw address is never
 * kept, and the salt is new per process so hashes cannot be matched across restarts.
 */
export class RateLimiter {
  private readonly salt = randomBytes(16);
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly opts: RateLimitOptions = RATE_LIMIT_DEFAULTS, private readonly now: () => number = Date.now) {}

  /** True when the request may go ahead (and counts it). */
  take(address: string): boolean {
    const key = createHash('sha256').update(this.salt).update(address).digest('base64');
    const t = this.now();
    const w = this.windows.get(key);
    if (w && t - w.start < this.opts.windowMs) {
      if (w.count >= this.opts.limit) return false;
      w.count++;
      return true;
    }
    // Re-insert so Map order is oldest window first.
    this.windows.delete(key);
    this.windows.set(key, { start: t, count: 1 });
    while (this.windows.size > this.opts.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
    return true;
  }
}
