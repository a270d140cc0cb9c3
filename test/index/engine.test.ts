import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { evaluate } from '../../hub/index/engine.ts';
import { vetoEnd } from '../../hub/index/effects.ts';
import { reviewTimes, startOfNextYear } from '../../hub/policy/time.ts';
import type { CaseRecord } from '../../hub/index/types.ts';
import { COMPOUND, DAY, GOOD, T0, kase } from './helpers.ts';

const policy = defaultPolicy();
const categories = Object.keys(policy.categories);
const nonVeto = categories.filter((c) => !policy.veto.categories.includes(c));
const ruled = policy.downgrades.rules.flatMap((r) => r.categories);

const ev = (cases: CaseRecord[], at = T0, signals: { onlineRate: number | null; survey: number | null } = GOOD) =>
  evaluate(policy, { compound: COMPOUND, cases, alarms: [], ...signals, at });

const arbCase = (cats: string[]) =>
  fc.record({
    category: fc.constantFrom(...cats),
    ageDays: fc.integer({ min: 0, max: 500 }),
    lagDays: fc.integer({ min: 0, max: 10 }),
  }).map(({ category, ageDays, lagDays }) => kase(category, T0 - ageDays * DAY, { registeredAt: T0 - ageDays * DAY + Math.min(ageDays, lagDays) * DAY }));

describe('engine', () => {
  it('a clean compound is 5★ with a full crime score', () => {
    const e = ev([]);
    expect(e.subScores.crime.score).toBe(100);
    expect(e.index).toBeGreaterThan(90);
    expect(e.stars).toBe(5);
    expect(e.policyVersion).toBe('2026.3');
    expect(e.rated).toBe(true);
    expect(e.streaks.month.zeroAlerts).toBe(true);
    expect(e.streaks.daysSinceLastIncident).toBeNull();
  });

  it('a homicide vetoes at once: 0 stars, with the case behind it', () => {
    const h = kase('homicide', T0 - DAY, { id: 'hom-1' });
    const e = ev([h]);
    expect(e.stars).toBe(0);
    // June: out for the rest of the year, to the 1 January review (more than the 180-day minimum).
    expect(e.veto).toMatchObject({ caseId: 'hom-1', category: 'homicide', until: startOfNextYear(h.registeredAt, 480) });
  });

  it('a burglary takes off one star and names its case; two take two; a third adds nothing', () => {
    expect(ev([]).stars).toBe(5);
    const b1 = kase('burglary', T0 - 2 * DAY);
    const one = ev([b1]);
    expect(one.stars).toBe(4);
    expect(one.downgrades).toEqual([expect.objectContaining({ rule: 'burglary', stars: 1, caseIds: [b1.id] })]);
    const three = ev([b1, kase('burglary', T0 - 3 * DAY), kase('burglary', T0 - 4 * DAY)]);
    expect(three.downgrades[0]?.stars).toBe(2);
    expect(three.downgradeStars).toBe(2);
  });

  it('a burglary older than 180 days no longer downgrades', () => {
    expect(ev([kase('burglary', T0 - 181 * DAY)]).downgrades).toEqual([]);
  });

  it('withdrawn cases and cases not yet known do not count', () => {
    expect(ev([kase('burglary', T0 - DAY, { status: 'withdrawn' })]).stars).toBe(5);
    expect(ev([kase('homicide', T0 - DAY, { registeredAt: T0 + DAY })]).stars).toBe(5);
    expect(ev([kase('homicide', T0 - 2 * DAY, { receivedAt: T0 + 1 })]).veto).toBeNull();
  });

  it('the online-rate gate keeps 5★ off below 95 %', () => {
    const e = ev([], T0, { onlineRate: 0.945, survey: 1 });
    expect(e.bandStars).toBe(5);
    expect(e.gates.onlineRate).toBe(false);
    expect(e.stars).toBe(4);
  });

  it('no survey, no device heard and no case: unrated, not 100 / 5★; any one of them rates it', () => {
    const none = ev([], T0, { onlineRate: null, survey: null });
    expect(none.rated).toBe(false);
    expect(ev([], T0, { onlineRate: null, survey: 0.9 }).rated).toBe(true);
    expect(ev([], T0, { onlineRate: 0.97, survey: null }).rated).toBe(true);
    expect(ev([kase('family-dispute', T0 - 10 * DAY)], T0, { onlineRate: null, survey: null }).rated).toBe(true);
    // A case older than the window is no data about the compound now.
    expect(ev([kase('family-dispute', T0 - 400 * DAY)], T0, { onlineRate: null, survey: null }).rated).toBe(false);
  });

  it('a burglary weighs in the index shown but the stars come off the band without it (small compounds too)', () => {
    for (const households of [150, 200, 1000]) {
      const e = evaluate(policy, { compound: { ...COMPOUND, households }, cases: [kase('burglary', T0 - DAY)], alarms: [], ...GOOD, at: T0 });
      expect(e.index).toBeLessThan(e.baseIndex);
      expect(e.bandStars).toBe(5);
      expect(e.stars).toBe(4);
    }
  });

  it('a missing survey leaves the index and the other parts re-weigh', () => {
    const e = ev([], T0, { onlineRate: 0.98, survey: null });
    expect(e.subScores.survey.score).toBeNull();
    expect(e.index).toBe(100);
    expect(e.subScores.crime.effectiveWeight).toBeCloseTo(0.5 / 0.85, 12);
  });

  it('explains: drivers, per-category losses and streaks', () => {
    const f = kase('fraud-victim', T0 - 10 * DAY, { id: 'fr-1' });
    const v = kase('vehicle-theft', T0 - 40 * DAY, { id: 'vt-1' });
    const e = ev([f, v]);
    expect(e.subScores.crime.drivers.map((d) => d.id).sort()).toEqual(['fr-1', 'vt-1']);
    expect(Object.keys(e.subScores.crime.byCategory).sort()).toEqual(['fraud-victim', 'vehicle-theft']);
    expect(e.themes.map((t) => t.theme)).toContain('fraud');
    expect(e.streaks.daysSinceLastIncident).toBe(10);
    expect(e.streaks.month.zeroAlerts).toBe(false);
    // vehicle theft 40 days ago is before this month (June) and in Q2: preventable breaks the quarter only.
    expect(e.streaks.month.zeroPreventable).toBe(true);
    expect(e.streaks.quarter.zeroPreventable).toBe(false);
  });

  it('a dispute from the justice bureau does not break zeroAlerts; a 110 dispute does', () => {
    expect(ev([kase('family-dispute', T0 - DAY, { department: 'justice' })]).streaks.month.zeroAlerts).toBe(true);
    expect(ev([kase('family-dispute', T0 - DAY, { department: 'police' })]).streaks.month.zeroAlerts).toBe(false);
  });

  it('property: more incidents never raise the index or the stars', () => {
    fc.assert(
      fc.property(fc.array(arbCase(categories), { maxLength: 25 }), arbCase(categories), (base, extra) => {
        const a = ev(base);
        const b = ev([...base, extra]);
        expect(b.index).toBeLessThanOrEqual(a.index);
        expect(b.stars).toBeLessThanOrEqual(a.stars);
      }),
      { numRuns: 200 },
    );
  });

  it('property: a veto means 0 stars from when it is known until a review at least minDays later and after its year, and not after', () => {
    const reviews = reviewTimes(policy.review, policy.timezoneOffsetMinutes, -Infinity, T0 + 800 * DAY);
    fc.assert(
      fc.property(
        fc.constantFrom(...policy.veto.categories),
        fc.integer({ min: 0, max: 364 }),
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (category, ageDays, lagDays, frac) => {
          const c = kase(category, T0 - ageDays * DAY, { registeredAt: T0 - ageDays * DAY + lagDays * DAY });
          const end = vetoEnd(policy, c.occurredAt, c.registeredAt);
          expect(reviews).toContain(end);
          expect(end).toBeGreaterThanOrEqual(c.registeredAt + policy.veto.minDaysFromRegistration * DAY);
          expect(end).toBeGreaterThanOrEqual(startOfNextYear(c.occurredAt, policy.timezoneOffsetMinutes));
          const at = c.registeredAt + Math.floor(frac * (end - c.registeredAt));
          expect(ev([c], at).stars).toBe(0);
          expect(ev([c], end).veto).toBeNull();
          expect(ev([c], end).stars).toBeGreaterThan(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('property: downgrades stay within their caps and the 1★ floor', () => {
    fc.assert(
      fc.property(fc.array(arbCase(ruled), { maxLength: 12 }), fc.array(arbCase(nonVeto), { maxLength: 15 }), (downs, others) => {
        const e = ev([...downs, ...others]);
        expect(e.downgradeStars).toBeLessThanOrEqual(policy.downgrades.maxTotalStars);
        for (const d of e.downgrades) {
          const rule = policy.downgrades.rules.find((r) => r.id === d.rule);
          expect(d.stars).toBeLessThanOrEqual(rule?.maxStars ?? 0);
        }
        expect(e.stars).toBeGreaterThanOrEqual(policy.downgrades.floorStars);
        // bandStars is the band WITHOUT the active downgrade cases: the downgrade comes off it.
        expect(e.stars).toBeLessThanOrEqual(Math.max(policy.downgrades.floorStars, e.bandStars - e.downgradeStars));
        if (!e.veto && e.downgradeStars > 0) expect(e.stars).toBe(Math.max(Math.min(e.bandStars, 1), Math.min(e.bandStars, e.gates.onlineRate ? 5 : 4) - e.downgradeStars));
      }),
      { numRuns: 200 },
    );
  });

  it('all three downgrade rules together take at most 3★', () => {
    const e = ev([kase('burglary', T0 - DAY), kase('burglary', T0 - DAY), kase('drugs', T0 - DAY), kase('fraud-den', T0 - DAY)]);
    expect(e.downgrades.map((d) => d.stars).reduce((a, b) => a + b, 0)).toBe(5);
    expect(e.downgradeStars).toBe(3);
    expect(e.stars).toBeGreaterThanOrEqual(1);
  });

  it('property: replaying the same inputs in any order gives the same evaluation', () => {
    fc.assert(
      fc.property(fc.array(arbCase(categories), { maxLength: 30 }).chain((cs) => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }))), ([a, b]) => {
        expect(ev(b)).toEqual(ev(a));
      }),
      { numRuns: 100 },
    );
  });
});
