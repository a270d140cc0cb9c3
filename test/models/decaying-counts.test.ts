import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecayingCounts } from '../../models/windows.ts';

// The eager counts the features were trained with (models/windows.ts before the common scale,
// issue 15 cost), kept as the reference: every count multiplied on every decay.
class EagerCounts {
  readonly values: Float64Array;
  total = 0;
  private last = Number.NaN;
  constructor(size: number, readonly halfLifeMs: number) {
    this.values = new Float64Array(size);
  }
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
  add(i: number, w = 1): void {
    this.values[i] = this.values[i]! + w;
    this.total += w;
  }
}

const HALF_LIFE = 3 * 86_400_000;
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('DecayingCounts (one common scale instead of decaying every count)', () => {
  it('reads what the eager counts read, through gaps long enough to fold the scale many times, and back from a snapshot', () => {
    let snapshots = 0;
    const lengths: number[] = [];
    // Steps: [ms forward (0 = same instant, some earlier: no-op), index, weight]; gaps up to 200
    // half-lives put the scale under 2^-64 again and again (the fold), and a day apart is usual.
    const step = fc.tuple(fc.oneof(fc.integer({ min: -60_000, max: 86_400_000 }), fc.integer({ min: 0, max: 200 * HALF_LIFE })), fc.integer({ min: 0, max: 7 }), fc.double({ min: 0.001, max: 10, noNaN: true }));
    fc.assert(
      // `size: 'max'` lets the arrays reach 300 steps (fast-check's default size stops near a dozen).
      fc.property(fc.array(step, { minLength: 1, maxLength: 300, size: 'max' }), fc.nat(), (steps, cutSeed) => {
        const cut = cutSeed % steps.length;
        const lazy = new DecayingCounts(8, HALF_LIFE);
        lengths.push(steps.length);
        const eager = new EagerCounts(8, HALF_LIFE);
        let restored: DecayingCounts | undefined;
        let t = 1_790_000_000_000;
        steps.forEach(([dt, i, w], k) => {
          t += dt;
          for (const c of [lazy, eager, restored]) c?.decayTo(t);
          for (const c of [lazy, eager, restored]) c?.add(i, w);
          for (let j = 0; j < 8; j++) {
            if (!close(lazy.value(j), eager.values[j]!)) throw new Error(`count ${j} after step ${k}: ${lazy.value(j)} vs ${eager.values[j]}`);
            if (restored && !close(restored.value(j), eager.values[j]!)) throw new Error(`restored count ${j} after step ${k}`);
          }
          if (!close(lazy.total, eager.total)) throw new Error(`total after step ${k}: ${lazy.total} vs ${eager.total}`);
          if (k === cut) {
            snapshots++;
            restored = new DecayingCounts(8, HALF_LIFE);
            restored.load(JSON.parse(JSON.stringify(lazy.save())) as ReturnType<DecayingCounts['save']>);
          }
        });
        // A snapshot holds the decayed counts, as the eager class stored them.
        const saved = lazy.save();
        saved.values.forEach((v, j) => expect(close(v, eager.values[j]!)).toBe(true));
        return true;
      }),
      { numRuns: 200 },
    );
    // The runs did what the comments say: long sequences, and a snapshot taken in every one.
    expect(snapshots).toBe(200);
    expect(Math.max(...lengths)).toBeGreaterThan(100);
  });

  it('an earlier time decays nothing, and a count halves over one half-life', () => {
    const c = new DecayingCounts(2, HALF_LIFE);
    c.decayTo(1000);
    c.add(1, 8);
    c.decayTo(500);
    expect(c.value(1)).toBe(8);
    c.decayTo(1000 + HALF_LIFE);
    expect(c.value(1)).toBeCloseTo(4, 12);
    expect(c.total).toBeCloseTo(4, 12);
    expect(c.value(0)).toBe(0);
    // Ten years of silence (over a thousand half-lives): the count is gone, nothing overflowed.
    c.decayTo(1000 + 1_300 * HALF_LIFE);
    c.add(0);
    expect(c.value(0)).toBe(1);
    expect(c.value(1)).toBe(0);
    expect(Number.isFinite(c.total)).toBe(true);
  });
});
