import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { rate } from '../../hub/index/rating.ts';
import { knownAt } from '../../hub/index/effects.ts';
import { reviewTimes } from '../../hub/policy/time.ts';
import type { CaseRecord, CompoundRef } from '../../hub/index/types.ts';
import { DAY } from './helpers.ts';

/**
 * Issue 11: "one burglary is one star". The property is over time and across reviews: on every
 * day of a downgrade's life, the published stars WITH the case equal the published stars of the
 * same compound WITHOUT it, minus its downgrade (capped at −3 in total, never below 1★).
 */
const policy = defaultPolicy();
const tz = policy.timezoneOffsetMinutes;
const EPOCH = Date.UTC(2025, 11, 31, 16); // 2026-01-01 00:00 +08:00
const ruleOf = new Map(policy.downgrades.rules.flatMap((r) => r.categories.map((c) => [c, r] as const)));
const downgradeCats = [...ruleOf.keys()];
const indexOnly = Object.keys(policy.categories).filter((c) => !policy.veto.categories.includes(c) && !ruleOf.has(c));

let n = 0;
const kase = (compound: string, category: string, occurredAt: number, lag = 0): CaseRecord => ({
  id: `s${++n}`, department: 'police', category, compound, occurredAt, registeredAt: occurredAt + lag, status: 'registered',
});

const starsOf = (compound: CompoundRef, cases: CaseRecord[], at: number, signals: { onlineRate: number | null; survey: number | null } = { onlineRate: 0.99, survey: 0.97 }) =>
  rate(policy, { compound, cases, alarms: [], ...signals }, at);

/** Stars all active downgrades take together: each rule capped, then the total (independent of the engine). */
function expectedDowngrade(cases: readonly CaseRecord[], at: number): number {
  const perRule = new Map<string, number>();
  for (const c of cases) {
    const r = ruleOf.get(c.category);
    if (!r || knownAt(c) > at || at - c.occurredAt >= r.durationDays * DAY) continue;
    perRule.set(r.id, Math.min(r.maxStars, (perRule.get(r.id) ?? 0) + r.starsPerCase));
  }
  return Math.min(policy.downgrades.maxTotalStars, [...perRule.values()].reduce((a, b) => a + b, 0));
}

const minus = (base: number, d: number): number => (base === 0 ? 0 : d > 0 ? Math.max(Math.min(base, policy.downgrades.floorStars), base - d) : base);

describe('one burglary is one star, on every day of its 180 days, across monthly reviews', () => {
  for (const households of [1000, 200, 150]) {
    it(`${households} households, burglary on 2026-01-20: exactly −1★ from the day it is known until it expires`, () => {
      const compound = { id: 'cb', district: 'siming', households };
      const occurred = Date.UTC(2026, 0, 20, 2); // 10:00 local
      const b = kase('cb', 'burglary', occurred, 3_600_000);
      const reviewsCrossed = reviewTimes(policy.review, tz, occurred, occurred + 180 * DAY).length;
      expect(reviewsCrossed).toBe(6); // Feb … Jul reviews all fall inside its life
      for (let t = occurred + 2 * 3_600_000; t < occurred + 180 * DAY; t += DAY) {
        const without = starsOf(compound, [], t).stars as number;
        const withIt = starsOf(compound, [b], t);
        expect(without).toBe(5);
        expect({ day: Math.floor((t - occurred) / DAY), stars: withIt.stars }).toEqual({ day: Math.floor((t - occurred) / DAY), stars: 4 });
        expect(withIt.evaluation.index).toBeLessThan(starsOf(compound, [], t).evaluation.index); // its weight shows in the number
      }
      // After its 180 days the downgrade is gone; the case still weighs in the index only.
      const after = starsOf(compound, [b], occurred + 181 * DAY);
      expect(after.evaluation.downgrades).toEqual([]);
    });
  }

  it('two burglaries take two, a third nothing more; with vice and a fraud den the total stops at −3 and 1★', () => {
    const compound = { id: 'cm', district: 'siming', households: 800 };
    const t0 = Date.UTC(2026, 2, 3);
    const cases = [kase('cm', 'burglary', t0), kase('cm', 'burglary', t0 + DAY), kase('cm', 'burglary', t0 + 2 * DAY)];
    const at = t0 + 40 * DAY;
    expect(starsOf(compound, cases.slice(0, 1), at).stars).toBe(4);
    expect(starsOf(compound, cases.slice(0, 2), at).stars).toBe(3);
    expect(starsOf(compound, cases, at).stars).toBe(3);
    const all = [...cases, kase('cm', 'drugs', t0), kase('cm', 'fraud-den', t0)];
    expect(starsOf(compound, all, at).stars).toBe(2);
    // A 2★ compound (poor survey, much fraud) with the same cases stays at the 1★ floor.
    const poor = { onlineRate: 0.99, survey: 0.84 };
    const disputes = Array.from({ length: 25 }, (_, i) => kase('cm', 'fraud-victim', t0 - i * DAY));
    const base = starsOf(compound, disputes, at, poor).stars as number;
    expect(base).toBe(2);
    expect(starsOf(compound, [...disputes, ...all], at, poor).stars).toBe(1);
  });

  const arbCompound = fc.record({
    households: fc.integer({ min: 30, max: 4000 }),
    onlineRate: fc.option(fc.double({ min: 0.85, max: 1, noNaN: true }), { nil: null }),
    survey: fc.option(fc.double({ min: 0.8, max: 1, noNaN: true }), { nil: null }),
  });
  const arbCase = (cats: string[], from: number, to: number) =>
    fc.record({ category: fc.constantFrom(...cats), t: fc.integer({ min: from, max: to }), lag: fc.integer({ min: 0, max: 12 * DAY }) });

  it('property: with random compounds and cases, published stars with the downgrade cases = stars without them minus their downgrade', () => {
    fc.assert(
      fc.property(
        arbCompound,
        fc.array(arbCase(indexOnly, EPOCH - 300 * DAY, EPOCH + 400 * DAY), { maxLength: 40 }),
        fc.array(arbCase(downgradeCats, EPOCH - 200 * DAY, EPOCH + 400 * DAY), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 179 }),
        fc.integer({ min: 0, max: 5 }),
        (cp, others, downs, dayIntoLife, pick) => {
          const compound = { id: 'cp', district: 'huli', households: cp.households };
          const signals = { onlineRate: cp.onlineRate, survey: cp.survey };
          const O = others.map((x) => kase('cp', x.category, x.t, x.lag));
          const D = downs.map((x) => kase('cp', x.category, x.t, x.lag));
          // A day inside the life of one of the downgrade cases (which one: `pick`).
          const c = D[pick % D.length] as CaseRecord;
          const span = (ruleOf.get(c.category)?.durationDays ?? 180) * DAY;
          const t = Math.min(c.occurredAt + span - 1, knownAt(c) + dayIntoLife * DAY);
          if (t < knownAt(c)) return; // registered after its 180 days: it never downgrades
          const X = [...O, ...D];
          const active = D.filter((d) => knownAt(d) <= t && t - d.occurredAt < (ruleOf.get(d.category)?.durationDays ?? 0) * DAY);
          const rest = X.filter((x) => !active.includes(x));
          const withAll = starsOf(compound, X, t, signals);
          const without = starsOf(compound, rest, t, signals);
          // Without its cases a compound may have no data at all (unrated): nothing to compare with.
          if (!without.evaluation.rated) return;
          const d = expectedDowngrade(X, t);
          expect(withAll.evaluation.downgradeStars).toBe(d);
          expect(d).toBeGreaterThan(0);
          expect(withAll.stars).toBe(minus(without.stars as number, d));
          // …and one case alone costs exactly the difference its removal makes.
          const withoutC = starsOf(compound, X.filter((x) => x !== c), t, signals);
          const dWithoutC = expectedDowngrade(X.filter((x) => x !== c), t);
          expect(withAll.stars).toBe(minus(without.stars as number, d));
          expect(withoutC.stars).toBe(minus(without.stars as number, dWithoutC));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: the five-star gate never takes a downgrade twice (a 5★ compound with one burglary shows 4★ on every day)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 5000 }), fc.integer({ min: 0, max: 330 }), fc.integer({ min: 0, max: 179 }), (households, startDay, day) => {
        const compound = { id: 'cg', district: 'jimei', households };
        const b = kase('cg', 'burglary', EPOCH + startDay * DAY);
        const t = b.occurredAt + day * DAY + 1;
        const without = starsOf(compound, [], t).stars;
        expect(without).toBe(5);
        expect(starsOf(compound, [b], t).stars).toBe(4);
      }),
      { numRuns: 80 },
    );
  });
});
