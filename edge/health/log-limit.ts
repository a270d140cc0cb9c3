/**
 * At most one log line per key (code + device) per `windowMs` (issue 12: a wrong-password storm
 * wrote one warning per refusal, ~1,300 lines in 20 s). Counters still count every refusal; the
 * next line that gets through says how many were suppressed. Bounded: the map is cleared when full.
 */
export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly windowMs = 10_000, private readonly maxKeys = 10_000) {}

  /** undefined: don't log; else the number of lines suppressed since the last one. */
  take(key: string, now: number): number | undefined {
    const e = this.last.get(key);
    if (e && now - e.at < this.windowMs) {
      e.suppressed++;
      return undefined;
    }
    if (!e && this.last.size >= this.maxKeys) this.last.clear();
    const suppressed = e?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }
}
