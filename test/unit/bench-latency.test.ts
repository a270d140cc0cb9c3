import { describe, expect, it } from 'vitest';
import { openLoopLatency, ProbeTracker } from '../../bench/lib/latency.ts';

describe('open-loop latency probes', () => {
  it('times each probe from its scheduled send, in the device order the store keeps', () => {
    const t = new ProbeTracker(5000);
    t.sent(0);
    t.sent(100);
    t.sent(200);
    t.observe(2, 150); // probes 1 and 2 are in the store at 150
    t.observe(3, 260);
    const s = t.summary(300);
    expect(s.samples).toEqual([150, 50, 60]);
    expect(s.timedOut).toBe(0);
    expect(s.max).toBe(150);
  });

  it('counts a probe that never lands at its timeout, not as a missing sample', () => {
    const t = new ProbeTracker(1000);
    for (let i = 0; i < 10; i++) t.sent(i * 100);
    t.observe(9, 950);
    expect(t.settled(1500)).toBe(false);
    expect(t.settled(1900)).toBe(true);
    const s = t.summary(3000);
    expect(s.samples).toHaveLength(10);
    expect(s.samples[9]).toBe(1000);
    expect(s.timedOut).toBe(1);
    expect(s.p99).toBe(1000);
  });

  it('caps a late landing at the timeout and ignores counts beyond what was sent', () => {
    const t = new ProbeTracker(500);
    t.sent(0);
    t.observe(5, 2000);
    expect(t.summary(2000)).toMatchObject({ samples: [500], timedOut: 1 });
  });

  it('keeps sending on schedule while answers stall (no coordinated omission)', async () => {
    const sentAt: number[] = [];
    let stored = 0;
    let stalled = true;
    setTimeout(() => {
      stalled = false;
    }, 120);
    const s = await openLoopLatency({
      everyMs: 20,
      durationMs: 200,
      timeoutMs: 1000,
      pollMs: 5,
      send: (_seq, at) => {
        sentAt.push(at);
      },
      landed: async () => {
        if (!stalled) stored = sentAt.length;
        return stored;
      },
    });
    expect(sentAt).toHaveLength(10);
    // Sends kept their 20-ms spacing through the stall.
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBe(20);
    // The first probe waited out the stall; the last, sent after it, waited less.
    expect(s.samples[0]!).toBeGreaterThanOrEqual(100);
    expect(s.samples.at(-1)!).toBeLessThan(s.samples[0]!);
    expect(s.timedOut).toBe(0);
  });
});
