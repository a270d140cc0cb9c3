import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { generateCaseHistories, type CompoundHistory } from '../../simulators/cases/generate.ts';
import { calibrateReview, offsetOf, type CityEntry, type ReviewOffsets } from '../../hub/index/calibration.ts';
import { evaluate } from '../../hub/index/engine.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { INITIAL_RATING_STATE, publishedStars, reviewStep, type RatingState } from '../../hub/index/rating.ts';
import { localMidnight, reviewTimes } from '../../hub/policy/time.ts';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import type { Policy } from '../../hub/policy/policy-schema.ts';

const policy = defaultPolicy();
const cal = policy.review.calibration as NonNullable<Policy['review']['calibration']>;
const AT = localMidnight(2026, 6, 1, policy.timezoneOffsetMinutes);

function entriesOf(histories: readonly CompoundHistory[], at: number, states?: readonly RatingState[]): CityEntry[] {
  return histories.map((h, i) => {
    const ev = evaluate(policy, { compound: h.compound, cases: h.cases, alarms: h.alarms, onlineRate: h.onlineRate, survey: h.survey, at });
    return { district: h.compound.district, state: states?.[i] ?? INITIAL_RATING_STATE, ev };
  });
}

const shareOf = (entries: readonly CityEntry[], o: ReviewOffsets) => {
  const rated = entries.filter((e) => e.ev.rated);
  return rated.filter((e) => publishedStars(policy, reviewStep(policy, e.state, e.ev, offsetOf(o, e.district)), e.ev) === 5).length / rated.length;
};

describe('the review calibration (hub/index/calibration.ts)', () => {
  const city = generateCity({ compounds: 1200, seed: 41 });
  const histories = generateCaseHistories(city, { seed: 41, at: AT });

  it('lands the published share at the target and every district over the floor, with a bounded offset', () => {
    const entries = entriesOf(histories, AT);
    const o = calibrateReview(policy, AT, entries);
    expect(Math.abs(o.city)).toBeLessThanOrEqual(cal.maxOffsetPoints);
    const share = shareOf(entries, o);
    expect(share).toBeGreaterThanOrEqual(cal.fiveStarShare);
    expect(share).toBeLessThan(cal.fiveStarShare + 0.01);
    for (const d of new Set(entries.map((e) => e.district))) {
      expect(shareOf(entries.filter((e) => e.district === d), o), d).toBeGreaterThan(cal.minDistrictShare);
    }
    // A pure function of its inputs.
    expect(calibrateReview(policy, AT, entries)).toEqual(o);
  });

  it('does not hide a city that really got worse: the offset stops at maxOffsetPoints and the share falls', () => {
    // Every case four times: a much less safe city.
    const worse = histories.map((h) => ({ ...h, cases: h.cases.flatMap((c) => [0, 1, 2, 3].map((k) => ({ ...c, id: `${c.id}-x${k}` }))) }));
    const entries = entriesOf(worse, AT);
    const o = calibrateReview(policy, AT, entries);
    expect(o.city).toBe(cal.maxOffsetPoints);
    expect(shareOf(entries, o)).toBeLessThan(cal.fiveStarShare - 0.05);
  });

  it('lifts only a district at or below the floor, and never lowers one', () => {
    const target = city.compounds[0]?.district as string;
    // One district with every case twice: its share would fall under the floor at the city offset.
    const skewed = histories.map((h) => (h.compound.district === target ? { ...h, cases: h.cases.flatMap((c) => [c, { ...c, id: `${c.id}-y` }]) } : h));
    expect(shareOf(entriesOf(skewed, AT).filter((e) => e.district === target), { at: AT, city: 0, districts: {}, rated: 0 })).toBeLessThan(cal.minDistrictShare);
    const entries = entriesOf(skewed, AT);
    const o = calibrateReview(policy, AT, entries);
    expect(Object.keys(o.districts)).toEqual([target]);
    expect(o.districts[target]).toBeGreaterThan(o.city);
    expect(o.districts[target]).toBeLessThanOrEqual(cal.maxOffsetPoints);
    expect(shareOf(entries.filter((e) => e.district === target), o)).toBeGreaterThan(cal.minDistrictShare);
  });

  it('a city below minCompounds is not calibrated (offset 0)', () => {
    const o = calibrateReview(policy, AT, entriesOf(histories.slice(0, cal.minCompounds - 1), AT));
    expect(o).toMatchObject({ city: 0, districts: {} });
  });
});

describe('the hub runs the same calibrated reviews as the pure fold', () => {
  it('300 compounds, four monthly reviews (synchronous and sliced): same offsets, same review levels', async () => {
    const tz = policy.timezoneOffsetMinutes;
    const city = generateCity({ compounds: 300, seed: 42 });
    const end = localMidnight(2026, 5, 1, tz) + 3_600_000;
    const histories = generateCaseHistories(city, { seed: 42, at: end, days: 500 });
    const reviews = reviewTimes(policy.review, tz, localMidnight(2026, 2, 1, tz) - 1, end);
    expect(reviews).toHaveLength(4);
    const dir = mkdtempSync(join(tmpdir(), 'ss-cal-'));
    const state = new StateDb(join(dir, 'state.db'));
    try {
      state.registerCity(city);
      // The hub starts ten days before the first review, with no data yet (all unrated).
      const clock = { now: (reviews[0] as number) - 10 * 86_400_000 };
      const engine = new IndexRating({ state, now: () => clock.now }, { manual: true, policy });
      // Cases registered by a review reach the hub at it.
      const known = new Set<string>();
      const pureStates = new Map<string, RatingState>();
      const seen: number[] = [];
      for (const [k, t] of reviews.entries()) {
        for (const h of histories) {
          engine.cases.setSurvey(h.compound.id, h.survey, t);
          for (const c of h.cases) if (c.registeredAt <= t && !known.has(c.id)) { known.add(c.id); engine.cases.upsertCase(c, t); }
        }
        for (const h of histories) engine.rerate(h.compound.id, 'test');
        clock.now = t + 1;
        if (k % 2 === 0) engine.tick();
        else await engine.tickSliced();
        // The pure fold over what the hub holds (its cases, surveys; no device heard: online unknown).
        const entries: CityEntry[] = histories.map((h) => ({
          district: h.compound.district,
          state: pureStates.get(h.compound.id) ?? INITIAL_RATING_STATE,
          ev: evaluate(policy, { compound: h.compound, cases: engine.cases.casesOf(h.compound.id), alarms: [], onlineRate: null, survey: h.survey, at: t }),
        }));
        const o = calibrateReview(policy, t, entries);
        for (const [i, e] of entries.entries()) pureStates.set(histories[i]!.compound.id, reviewStep(policy, e.state, e.ev, offsetOf(o, e.district)));
        const stored = JSON.parse(engine.ratings.getMeta(`calibration:${t}`) as string) as ReviewOffsets;
        expect(stored, `review ${k}`).toEqual(o);
        expect(o.rated).toBe(300);
        seen.push(o.city);
        for (const h of histories) {
          const live = engine.getPrivate(h.compound.id)?.detail as { reviewStars: number | null };
          expect(live.reviewStars, h.compound.id).toBe(pureStates.get(h.compound.id)?.reviewStars);
        }
      }
      // A calibration that moved nothing would make the agreement trivial.
      expect(seen.some((x) => x !== 0)).toBe(true);
      engine.close();
    } finally {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
