import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { evaluate, indexAt } from '../../hub/index/engine.ts';
import { floorIndex, lowestBaseIndex, settleDrops, stepDownTimes } from '../../hub/index/drops.ts';
import { INITIAL_RATING_STATE } from '../../hub/index/rating.ts';
import type { ConfirmedAlarm } from '../../hub/index/types.ts';
import { COMPOUND, DAY, GOOD, T0, kase } from './helpers.ts';

const policy = defaultPolicy();
const base = (cases: ReturnType<typeof kase>[], alarms: ConfirmedAlarm[] = []) => ({ compound: COMPOUND, cases, alarms, ...GOOD });

describe('falls between reviews (drops.ts)', () => {
  it('the step-down instants: a case or alarm starting to count, a downgrade ending; nothing else', () => {
    const burglary = kase('burglary', T0 - 10 * DAY, { receivedAt: T0 + DAY });
    const fraud = kase('fraud-victim', T0 + 2 * DAY);
    const late = kase('burglary', T0 - 200 * DAY, { receivedAt: T0 + 3 * DAY }); // known after its 180 days
    const other = kase('fraud-victim', T0 + 4 * DAY, { compound: 'c0002' });
    const void_ = kase('fraud-victim', T0 + 5 * DAY, { status: 'unfounded' });
    const alarm: ConfirmedAlarm = { id: 'a1', compound: COMPOUND.id, type: 'fence-breach', occurredAt: T0 + 6 * DAY, confirmedAt: T0 + 7 * DAY };
    const times = stepDownTimes(policy, base([burglary, fraud, late, other, void_], [alarm]), T0, T0 + 400 * DAY);
    expect(times).toEqual([T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY, T0 + 7 * DAY, T0 - 10 * DAY + 180 * DAY].sort((a, b) => a - b));
    // Open at both ends.
    expect(stepDownTimes(policy, base([fraud]), T0 + 2 * DAY, T0 + 9 * DAY)).toEqual([]);
    expect(stepDownTimes(policy, base([fraud]), T0, T0 + 2 * DAY)).toEqual([]);
  });

  it('property: between the step-down instants the base index only rises, so the lowest is at one of them; the floor is under all of it', () => {
    const cats = ['fraud-victim', 'burglary', 'robbery', 'family-dispute', 'drugs', 'other-theft'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ c: fc.constantFrom(...cats), t: fc.integer({ min: -400, max: 200 }), lag: fc.integer({ min: 0, max: 30 }) }), { maxLength: 25 }),
        fc.integer({ min: 0, max: 150 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 1_000 }),
        (xs, fromDay, spanDays, frac) => {
          const cases = xs.map((x) => kase(x.c, T0 + x.t * DAY, { receivedAt: T0 + (x.t + x.lag) * DAY }));
          const from = T0 + fromDay * DAY;
          const s = from + Math.floor((spanDays * DAY * frac) / 1_000);
          const atFrom = evaluate(policy, { ...base(cases), at: from }).baseIndex;
          const lowest = Math.min(atFrom, lowestBaseIndex(policy, base(cases), from, s + 1));
          const ev = evaluate(policy, { ...base(cases), at: s });
          expect(ev.baseIndex).toBeGreaterThanOrEqual(lowest);
          // The lean reader gives evaluate()'s numbers exactly ...
          expect(indexAt(policy, { ...base(cases), at: s })).toBe(ev.baseIndex);
          expect(indexAt(policy, { ...base(cases), at: s }, true)).toBe(ev.index);
          // ... and the floor that lets a scan be skipped is under every instant of the interval.
          expect(floorIndex(policy, base(cases), from, from + spanDays * DAY + 1)).toBeLessThanOrEqual(ev.baseIndex);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('settling lowers the review level only past the immediate margin, and keeps the level the review set', () => {
    const state = { ...INITIAL_RATING_STATE, reviewStars: 5, lastReviewAt: T0 };
    const far = policy.review.immediateDropPoints;
    expect(settleDrops(policy, state, 90 - far + 0.01)).toBe(state);
    expect(settleDrops(policy, state, Infinity)).toBe(state);
    const once = settleDrops(policy, state, 90 - far - 0.01);
    expect(once).toMatchObject({ reviewStars: 4, droppedFrom: 5 });
    expect(settleDrops(policy, once, 70 - far - 1)).toMatchObject({ reviewStars: 2, droppedFrom: 5 });
    // With a calibration offset the fall is judged on the same scale as the review.
    expect(settleDrops(policy, { ...state, offset: 3 }, 90 - far - 2).reviewStars).toBe(5);
    expect(settleDrops(policy, { ...INITIAL_RATING_STATE }, 0)).toEqual(INITIAL_RATING_STATE);
  });
});
