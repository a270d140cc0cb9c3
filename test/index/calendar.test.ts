import { afterEach, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { evaluate } from '../../hub/index/engine.ts';
import { vetoEnd } from '../../hub/index/effects.ts';
import { rate } from '../../hub/index/rating.ts';
import { firstReviewAtOrAfter, localMidnight, reviewTimes } from '../../hub/policy/time.ts';
import type { CaseRecord } from '../../hub/index/types.ts';
import { TOKENS, rig, type Rig } from './api-helpers.ts';
import { COMPOUND, DAY, GOOD } from './helpers.ts';

/**
 * Calendar edges of the veto and review rules (issue 11), in the city's zone (Asia/Shanghai,
 * UTC+8, no DST): local midnight, 31 Dec → 1 Jan, a review on the 1st, 29 February. Every time
 * is fixed here and the hub runs on an injected clock, so the tests pass on any date.
 */
const policy = defaultPolicy();
const tz = policy.timezoneOffsetMinutes;
const HOUR = 3_600_000;
/** Local (UTC+8) wall time → epoch ms. */
const local = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => localMidnight(y, m, d, tz) + h * HOUR + min * 60_000 + s * 1000;

const homicide = (occurredAt: number, registeredAt = occurredAt, id = 'hom'): CaseRecord => ({ id, department: 'police', category: 'homicide', compound: COMPOUND.id, occurredAt, registeredAt, status: 'registered' });
const stars = (cases: CaseRecord[], at: number) => rate(policy, { compound: COMPOUND, cases, alarms: [], ...GOOD }, at).stars;

describe('veto calendar rules', () => {
  it('a homicide at 23:30 on 31 December does not end at midnight: 0★ for at least 180 days, to a review', () => {
    const t = local(2026, 12, 31, 23, 30);
    const c = homicide(t);
    expect(stars([c], local(2027, 1, 1, 0, 0, 30))).toBe(0); // 30 s after local midnight
    expect(stars([c], local(2027, 6, 30, 23, 59))).toBe(0);
    const end = vetoEnd(policy, c.occurredAt, c.registeredAt);
    expect(end).toBe(local(2027, 7, 1)); // the first review after 31 Dec + 180 days (29 June)
    expect(reviewTimes(policy.review, tz, -Infinity, end)).toContain(end);
    expect(stars([c], end)).toBe(5);
  });

  it('a case that occurred 20 December but was registered 3 January follows the same rule: 180 days from registration, not all of the next year', () => {
    const c = homicide(local(2026, 12, 20, 14), local(2027, 1, 3, 9));
    expect(stars([c], local(2027, 1, 2, 12))).toBe(5); // not yet known: no retroactive veto
    expect(stars([c], local(2027, 1, 3, 9, 1))).toBe(0);
    expect(vetoEnd(policy, c.occurredAt, c.registeredAt)).toBe(local(2027, 8, 1));
    expect(stars([c], local(2027, 7, 31, 23, 59))).toBe(0);
    expect(stars([c], local(2027, 8, 1))).toBe(5);
  });

  it('a veto from March lasts the rest of the rating year and ends at the 1 January review; no plaque jumps on 1 January without a review', () => {
    const c = homicide(local(2026, 3, 10, 8));
    expect(vetoEnd(policy, c.occurredAt, c.registeredAt)).toBe(local(2027, 1, 1));
    expect(stars([c], local(2026, 12, 31, 23, 59, 30))).toBe(0);
    // The instant the veto ends is the instant of the January review: the review re-rates it.
    expect(firstReviewAtOrAfter(policy.review, tz, local(2027, 1, 1))).toBe(local(2027, 1, 1));
    const after = rate(policy, { compound: COMPOUND, cases: [c], alarms: [], ...GOOD }, local(2027, 1, 1, 0, 0, 30));
    expect(after.reviews[after.reviews.length - 1]?.at).toBe(local(2027, 1, 1));
    expect(after.stars).toBeGreaterThan(0);
  });

  it('29 February: a case of that day is out for the rest of 2028; one of last December registered that day ends 180 days on (27 August) at the 1 September review', () => {
    const c = homicide(local(2028, 2, 29, 12));
    expect(vetoEnd(policy, c.occurredAt, c.registeredAt)).toBe(local(2029, 1, 1));
    const late = homicide(local(2027, 12, 25, 12), local(2028, 2, 29, 12));
    expect(vetoEnd(policy, late.occurredAt, late.registeredAt)).toBe(local(2028, 9, 1));
    expect(stars([late], local(2028, 8, 31, 23, 59))).toBe(0);
    expect(stars([late], local(2028, 9, 1))).toBe(5);
  });

  it('the local year decides: 00:30 on 1 January (16:30 UTC on 31 December) belongs to the new year', () => {
    const c = homicide(Date.UTC(2026, 11, 31, 16, 30)); // 2027-01-01 00:30 +08
    expect(vetoEnd(policy, c.occurredAt, c.registeredAt)).toBe(local(2028, 1, 1));
  });

  it('reviews fall on the 1st at local midnight, 16:00 UTC the day before', () => {
    const rs = reviewTimes(policy.review, tz, local(2027, 12, 15), local(2028, 3, 15));
    expect(rs.map((r) => new Date(r).toISOString())).toEqual(['2027-12-31T16:00:00.000Z', '2028-01-31T16:00:00.000Z', '2028-02-29T16:00:00.000Z']);
  });

  it('a case registered long after it happened (more than maxCaseAgeDays) does not veto', () => {
    const c = homicide(local(2026, 1, 5), local(2026, 1, 5) + (policy.veto.maxCaseAgeDays + 1) * DAY);
    expect(evaluate(policy, { compound: COMPOUND, cases: [c], alarms: [], ...GOOD, at: c.registeredAt + DAY }).veto).toBeNull();
  });
});

describe('the hub across midnight on an injected clock', () => {
  let r: Rig | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  it('a vetoed plaque stays at 0★ through the 1 January review; a late-registered case vetoes from its registration', async () => {
    r = await rig(local(2026, 12, 31, 23, 59, 30));
    const post = (body: object) => (r as Rig).app.inject({ method: 'POST', url: '/api/cases', headers: { authorization: `Bearer ${TOKENS.police}` }, payload: body });
    const iso = (ms: number) => new Date(ms).toISOString();
    expect((await post({ id: 'H-31', department: 'police', category: 'homicide', compound: 'c0001', occurredAt: iso(local(2026, 12, 31, 23, 30)), registeredAt: iso(local(2026, 12, 31, 23, 50)), status: 'registered' })).statusCode).toBe(201);
    expect(r.engine.get('c0001')?.stars).toBe(0);
    r.clock.now = local(2027, 1, 1, 0, 0, 30);
    r.engine.tick();
    expect(r.engine.get('c0001')?.stars).toBe(0);
    expect(r.engine.ratings.audit('c0001').filter((a) => a.toStars !== 0 && a.fromStars === 0)).toEqual([]);
    // 3 January: a homicide of 20 December registered now vetoes c0002 from now on.
    r.clock.now = local(2027, 1, 3, 9);
    await post({ id: 'H-20', department: 'police', category: 'homicide', compound: 'c0002', occurredAt: iso(local(2026, 12, 20, 14)), registeredAt: iso(local(2027, 1, 3, 9)), status: 'registered' });
    expect(r.engine.get('c0002')?.stars).toBe(0);
    r.clock.now = local(2027, 7, 1, 0, 0, 1);
    r.engine.tick();
    expect(r.engine.get('c0001')?.stars).toBeGreaterThan(0); // its 1 July review ended it
    expect(r.engine.get('c0002')?.stars).toBe(0); // 3 Jan + 180 days → the 1 August review
    r.clock.now = local(2027, 8, 1, 0, 0, 1);
    r.engine.tick();
    expect(r.engine.get('c0002')?.stars).toBeGreaterThan(0);
  });
});
