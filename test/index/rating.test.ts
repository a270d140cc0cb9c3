import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { rate } from '../../hub/index/rating.ts';
import { explainPublic } from '../../hub/index/explain.ts';
import { reviewTimes } from '../../hub/policy/time.ts';
import type { CaseRecord } from '../../hub/index/types.ts';
import { COMPOUND, DAY, kase } from './helpers.ts';

const policy = defaultPolicy();
const tz = policy.timezoneOffsetMinutes;
const START = Date.UTC(2025, 11, 31, 16); // 2026-01-01 00:00 +08:00, the review epoch
const END = Date.UTC(2026, 10, 28, 16);
const nonEffect = Object.keys(policy.categories).filter(
  (c) => !policy.veto.categories.includes(c) && !policy.downgrades.rules.some((r) => r.categories.includes(c)),
);

const input = (cases: CaseRecord[]) => ({ compound: COMPOUND, cases, alarms: [], onlineRate: 0.99, survey: 0.97 });
const arbCases = (cats: string[], max = 40) =>
  fc.array(
    fc.record({ category: fc.constantFrom(...cats), t: fc.integer({ min: START - 200 * DAY, max: END }), lag: fc.integer({ min: 0, max: 20 * DAY }) }),
    { maxLength: max },
  ).map((xs) => xs.map((x) => kase(x.category, x.t, { receivedAt: x.t + x.lag })));

/** The shrunk counterexample of seed 505034936 (CI, 2026-12-01): robbery is neither veto nor downgrade. */
const FELL_AND_RECOVERED = (() => {
  const robbery = (id: string, at: number, receivedAt = at) => ({ ...kase('robbery', at, { receivedAt }), id });
  const t = Date.UTC(2026, 8, 30, 16) + 1; // 1 ms after the 1 October 2026 review
  return {
    t,
    cases: [
      robbery('k1', Date.UTC(2025, 8, 30, 16) + 1),
      robbery('k2', Date.UTC(2025, 8, 30, 16) + 1),
      robbery('k3', 1789870637385, t), // occurred 20 September, known just after the review
      robbery('k4', 1783233336628),
      { ...kase('neighbour-dispute', 1786922520333), id: 'k5' },
    ],
  };
})();

describe('rating (reviews and hysteresis)', () => {
  it('reviews fall on the 1st of each month at local midnight', () => {
    const times = reviewTimes(policy.review, tz, START - 1, END);
    expect(times).toHaveLength(11);
    expect(new Date(times[1] as number).toISOString()).toBe('2026-01-31T16:00:00.000Z');
  });

  it('property: without veto or downgrade cases the plaque never rises between reviews, goes up only after two runs ≥ threshold + 2, and down only after two runs < threshold − 2 or one fall past the immediate margin', () => {
    const { hysteresisPoints: up, dropPoints: down, immediateDropPoints: far, consecutiveRuns: n } = policy.review;
    const floorOf = (stars: number) => policy.stars.bands.find((x) => x.stars === stars)?.min ?? -Infinity;
    fc.assert(
      fc.property(arbCases(nonEffect), fc.integer({ min: START, max: END - 40 * DAY }), (cases, t) => {
        const reviews = reviewTimes(policy.review, tz, -Infinity, END);
        const next = reviews.find((x) => x > t) ?? END;
        const a = rate(policy, input(cases), t);
        const m = rate(policy, input(cases), t + Math.floor((next - 1 - t) / 3));
        const b = rate(policy, input(cases), next - 1);
        const sa = a.stars as number;
        const sb = b.stars as number;
        expect(m.stars as number).toBeLessThanOrEqual(sa);
        expect(sb).toBeLessThanOrEqual(m.stars as number);
        // Above its band only within the margin: a plaque never hides a fall of more than `far` points.
        for (const r of [a, b]) {
          const s = r.stars as number;
          if (s > r.evaluation.bandStars) expect(r.evaluation.baseIndex).toBeGreaterThan(floorOf(s) - far);
        }
        const after = rate(policy, input(cases), next);
        const sn = after.stars as number;
        const lastN = after.reviews.slice(-n);
        if (sn > sb) for (const run of lastN) expect(run.index).toBeGreaterThanOrEqual(floorOf(sn) + up);
        if (sn < (b.state.reviewStars as number)) {
          const fell = after.evaluation.baseIndex <= floorOf(sn + 1) - far;
          const twoLow = lastN.length >= n && lastN.every((run) => run.index <= floorOf(sn + 1) - down);
          expect(fell || twoLow).toBe(true);
        }
      }),
      // 505034936: a case known just after a review dropped 5★ to 4★, and year-old cases leaving
      // the window put it back to 5★ five days later (drops.ts). Kept as a fixed example.
      { numRuns: 60, examples: [[FELL_AND_RECOVERED.cases, FELL_AND_RECOVERED.t]] },
    );
  });

  it('a fall between reviews holds until a review lifts it by the upgrade rule, and says so', () => {
    const { cases, t } = FELL_AND_RECOVERED;
    const [first, second] = reviewTimes(policy.review, tz, t, END + 40 * DAY) as [number, number];
    expect(rate(policy, input(cases), t - 1).stars).toBe(5);
    const fell = rate(policy, input(cases), t);
    expect(fell.stars).toBe(4);
    // The index recovers five days on (cases of October 2025 leave the window) ...
    const later = rate(policy, input(cases), t + 5 * DAY);
    expect(later.evaluation.baseIndex).toBeGreaterThan(fell.evaluation.baseIndex + 2);
    expect(later.evaluation.bandStars).toBe(fell.evaluation.bandStars);
    // ... and the plaque stays down, up to the review and after it (one run is not two).
    for (const at of [t + 5 * DAY, first - 1, first, second - 1]) expect(rate(policy, input(cases), at).stars).toBe(4);
    expect(later.state).toMatchObject({ reviewStars: 4, droppedFrom: 5 });
    const words = explainPublic(policy, later.evaluation, later.stars, later.state, cases);
    expect(words.droppedFrom).toBe(5);
    expect(words.reason).toMatch(/down at once from the 5★ of the review of 2026-10/);
    // After the review the state is a plain review state again: nothing of the drop is kept but its level.
    expect(rate(policy, input(cases), first).state.droppedFrom).toBeUndefined();
    // Two runs at ≥ 92 lift it: the first is the review of April 2027, the second that of May.
    const april = Date.UTC(2027, 2, 31, 16);
    const may = Date.UTC(2027, 3, 30, 16);
    const before = rate(policy, input(cases), april);
    expect(before.reviews.slice(-2).map((r) => r.index >= 92)).toEqual([false, true]);
    expect(before.stars).toBe(4);
    expect(rate(policy, input(cases), may - 1).stars).toBe(4);
    expect(rate(policy, input(cases), may).stars).toBe(5);
  });

  it('a non-finite instant is refused with SS_INDEX_BAD_INPUT, not walked month by month for ever', () => {
    for (const at of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => rate(policy, input([]), at)).toThrow(/SS_INDEX_BAD_INPUT/);
      expect(() => reviewTimes(policy.review, tz, START, at)).toThrow(/SS_INDEX_BAD_INPUT/);
    }
  });

  it('property: a veto gives 0 at once and downgrades lower the review level at once', () => {
    fc.assert(
      fc.property(arbCases(Object.keys(policy.categories), 20), fc.integer({ min: START, max: END }), (cases, t) => {
        const r = rate(policy, input(cases), t);
        if (r.evaluation.veto) expect(r.stars).toBe(0);
        if (r.evaluation.downgradeStars > 0 && !r.evaluation.veto) expect(r.stars).toBeLessThanOrEqual(Math.max(1, (r.state.reviewStars ?? 5) - r.evaluation.downgradeStars));
      }),
      { numRuns: 60 },
    );
  });

  it('property: replaying the same cases in any order gives the same rating', () => {
    fc.assert(
      fc.property(
        arbCases(Object.keys(policy.categories), 30).chain((cs) => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }))),
        fc.integer({ min: START, max: END }),
        ([a, b], t) => {
          expect(rate(policy, input(b), t)).toEqual(rate(policy, input(a), t));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a late case counts from when it is known: past reviews stay as they were', () => {
    const occurred = Date.UTC(2026, 2, 10);
    const late = kase('fraud-victim', occurred, { receivedAt: Date.UTC(2026, 4, 20) });
    const many = Array.from({ length: 12 }, () => kase('fraud-victim', occurred, { receivedAt: late.receivedAt }));
    const r = rate(policy, input(many), Date.UTC(2026, 4, 25));
    const clean = rate(policy, input([]), Date.UTC(2026, 4, 25));
    expect(r.reviews).toEqual(clean.reviews);
    expect(r.evaluation.index).toBeLessThan(clean.evaluation.index);
  });
});
