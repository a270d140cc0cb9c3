/**
 * Per-device token bucket: `ratePerS` messages per second with a one-second burst. `take` never
 * refuses: it returns how long the message must wait (0 = go now). The caller delays the
 * message's aedes callback by that much; aedes reads nothing more from that socket until the
 * callbacks of the current chunk are done, so a flooding device is slowed by TCP backpressure
 * (its QoS 1 PUBACKs come at the allowed rate) while other devices are untouched, and nothing it
 * sent is dropped. Debt is capped so one burst cannot park a device for minutes.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly maxDebt: number;

  constructor(private readonly ratePerS: number, maxDelayMs = 10_000) {
    this.maxDebt = (ratePerS * maxDelayMs) / 1000;
  }

  /** Wait in ms before this message may proceed. */
  take(id: string, now: number): number {
    let b = this.buckets.get(id);
    if (!b) {
      b = { tokens: this.ratePerS, at: now };
      this.buckets.set(id, b);
    }
    b.tokens = Math.min(this.ratePerS, b.tokens + ((now - b.at) * this.ratePerS) / 1000);
    b.at = now;
    b.tokens -= 1;
    if (b.tokens >= 0) return 0;
    if (b.tokens < -this.maxDebt) b.tokens = -this.maxDebt;
    return Math.ceil((-b.tokens * 1000) / this.ratePerS);
  }
}
