import { percentile } from './stats.ts';

export interface LatencySummary {
  /** One latency per probe, ms; a probe that timed out counts at the timeout. */
  samples: number[];
  p50: number;
  p99: number;
  max: number;
  timedOut: number;
  timeoutMs: number;
}

/**
 * Latency bookkeeping for open-loop probes of one device. Probes are sent on a fixed schedule and
 * land in the store in the device's order (the edge keeps one durable order per device), so when
 * the store holds n probes, probes 1..n have landed. Latency runs from the *scheduled* send time,
 * so a stall delays no probe's clock (no coordinated omission); one not landed within `timeoutMs`
 * counts at `timeoutMs`.
 */
export class ProbeTracker {
  private readonly scheduled: number[] = [];
  private readonly latency: number[] = [];

  constructor(readonly timeoutMs: number) {}

  sent(scheduledAt: number): void {
    this.scheduled.push(scheduledAt);
  }

  /** The store now holds `count` probes (seen at `now`). */
  observe(count: number, now: number): void {
    const n = Math.min(count, this.scheduled.length);
    for (let i = this.latency.length; i < n; i++) this.latency.push(Math.min(this.timeoutMs, now - this.scheduled[i]!));
  }

  /** Every probe sent has landed or is past its timeout. */
  settled(now: number): boolean {
    const i = this.latency.length;
    return i === this.scheduled.length || now - this.scheduled[i]! >= this.timeoutMs;
  }

  summary(now: number): LatencySummary {
    const samples = this.scheduled.map((at, i) => this.latency[i] ?? Math.min(this.timeoutMs, now - at));
    const timedOut = samples.filter((s) => s >= this.timeoutMs).length;
    return {
      samples,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: samples.length ? Math.max(...samples) : Number.NaN,
      timedOut,
      timeoutMs: this.timeoutMs,
    };
  }
}

/**
 * Send a probe every `everyMs` for `durationMs` (on schedule, whatever the answers do) and poll
 * `landed()` (how many probes the store holds, counted from the first) every `pollMs`.
 */
export async function openLoopLatency(o: {
  everyMs: number;
  durationMs: number;
  timeoutMs: number;
  pollMs?: number;
  send: (seq: number, scheduledAt: number) => void;
  landed: () => Promise<number>;
}): Promise<LatencySummary> {
  const tracker = new ProbeTracker(o.timeoutMs);
  const base = await o.landed();
  const t0 = Date.now();
  const count = Math.max(1, Math.floor(o.durationMs / o.everyMs));
  let seq = 0;
  const sending = new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = Date.now();
      while (seq < count && t0 + seq * o.everyMs <= now) {
        const at = t0 + seq * o.everyMs;
        seq++;
        tracker.sent(at);
        o.send(seq, at);
      }
      if (seq >= count) resolve();
      else setTimeout(tick, Math.max(0, t0 + seq * o.everyMs - Date.now()));
    };
    tick();
  });
  let done = false;
  void sending.then(() => {
    done = true;
  });
  for (;;) {
    const n = (await o.landed()) - base;
    const now = Date.now();
    tracker.observe(n, now);
    if (done && tracker.settled(now)) break;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 10));
  }
  return tracker.summary(Date.now());
}
