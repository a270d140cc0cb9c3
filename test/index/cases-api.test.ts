import { afterEach, describe, expect, it } from 'vitest';
import type { Event } from '../../protocol/event.ts';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { TOKENS, rig, type Rig } from './api-helpers.ts';

const DAY = 86_400_000;
/** 2026-06-15 00:00 UTC+8 */
const T = Date.UTC(2026, 5, 14, 16);
const iso = (ms: number) => new Date(ms).toISOString();

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const post = (rg: Rig, body: unknown, token = TOKENS.police) =>
  rg.app.inject({ method: 'POST', url: '/api/cases', headers: { authorization: `Bearer ${token}` }, payload: body as object });

const kase = (id: string, category: string, extra: Record<string, unknown> = {}) => ({
  id, department: 'police', category, compound: 'c0001', occurredAt: iso(T - DAY), registeredAt: iso(T - DAY / 2), status: 'registered', ...extra,
});

/** The public view (no token). */
const compound = async (rg: Rig, id = 'c0001') => (await rg.app.inject({ method: 'GET', url: `/api/compounds/${id}` })).json();
/** The private view: operators and departments only. */
const detail = async (rg: Rig, id = 'c0001', token = TOKENS.operator) =>
  (await rg.app.inject({ method: 'GET', url: `/api/compounds/${id}/detail`, headers: { authorization: `Bearer ${token}` } })).json();
const audit = async (rg: Rig, id = 'c0001') =>
  (await rg.app.inject({ method: 'GET', url: `/api/compounds/${id}/audit`, headers: { authorization: `Bearer ${TOKENS.operator}` } })).json();

describe('cases API', () => {
  it('a homicide drops the stars to 0 at once, with the case visible; reclassifying it lifts the veto', async () => {
    r = await rig(T);
    expect((await compound(r)).stars).toBe(5);
    const res = await post(r, kase('HOM-1', 'homicide'));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.compounds[0]).toMatchObject({ id: 'c0001', stars: 0, previousStars: 5, veto: { category: 'homicide', case: { id: 'HOM-1' } } });
    const c = await compound(r);
    expect(c.stars).toBe(0);
    // Public: category and months only; the reason in words.
    expect(c.detail.veto).toEqual({ category: 'homicide', sinceMonth: '2026-06', untilMonth: '2027-01' });
    expect(c.detail.reason).toMatch(/veto/);
    expect(JSON.stringify(c)).not.toContain('HOM-1');
    const d = await detail(r);
    expect(d.detail.veto.case).toMatchObject({ id: 'HOM-1', department: 'police', postedBy: 'police' });
    // Out for the rest of the year: it ends at the 1 January review (06-14 + 180 days is earlier).
    expect(d.detail.veto.until).toBe('2026-12-31T16:00:00.000Z');
    expect(c.detail.policyVersion).toBe('2026.3');

    const re = await post(r, kase('HOM-1', 'assault'));
    expect(re.statusCode).toBe(200);
    expect(re.json().result).toBe('updated');
    const after = await compound(r);
    expect(after.detail.veto).toBeNull();
    expect(after.stars).toBeGreaterThan(0);
    expect((await r.app.inject({ method: 'GET', url: '/api/compounds/c0001/audit' })).statusCode).toBe(401);
    const log = await audit(r);
    expect(log.map((a: { fromStars: number; toStars: number }) => [a.fromStars, a.toStars])).toEqual([[0, after.stars], [5, 0], [null, 5]]);
    // The audit shows who posted the case behind each change.
    expect(log[1]).toMatchObject({ trigger: 'case:HOM-1', reason: { postedBy: 'police' } });
    const versions = (await r.app.inject({ method: 'GET', url: '/api/cases/HOM-1', headers: { authorization: `Bearer ${TOKENS.police}` } })).json().versions;
    expect(versions.map((v: { body: { category: string } }) => v.body.category)).toEqual(['homicide', 'assault']);
  });

  it('a burglary takes off one star and names the case', async () => {
    r = await rig(T);
    const res = await post(r, kase('B-1', 'burglary'));
    expect(res.json().compounds[0]).toMatchObject({ stars: 4, previousStars: 5 });
    const c = await compound(r);
    expect(c.detail.downgrades).toEqual([{ rule: 'burglary', stars: 1, untilMonth: '2026-12', cases: [{ category: 'burglary', month: '2026-06' }] }]);
    const d = await detail(r, 'c0001', TOKENS.police);
    expect(d.detail.downgrades).toEqual([expect.objectContaining({ rule: 'burglary', stars: 1, cases: [expect.objectContaining({ id: 'B-1', category: 'burglary', department: 'police' })] })]);
  });

  it('is idempotent by id', async () => {
    r = await rig(T);
    expect((await post(r, kase('F-1', 'fraud-victim'))).statusCode).toBe(201);
    const again = await post(r, kase('F-1', 'fraud-victim'));
    expect(again.statusCode).toBe(200);
    expect(again.json().result).toBe('unchanged');
    expect(r.engine.cases.caseVersions('F-1')).toHaveLength(1);
    expect(r.engine.cases.casesOf('c0001')).toHaveLength(1);
  });

  it('refuses bad cases with the reason and stores nothing', async () => {
    r = await rig(T);
    const cat = await post(r, kase('X-1', 'jaywalking'));
    expect(cat.statusCode).toBe(400);
    expect(cat.json().code).toBe('SS_CASE_UNKNOWN_CATEGORY');
    expect(cat.json().message).toContain('jaywalking');
    expect((await post(r, kase('X-1b', 'toString'))).json().code).toBe('SS_CASE_UNKNOWN_CATEGORY');
    const cmp = await post(r, kase('X-2', 'burglary', { compound: 'c9999' }));
    expect(cmp.statusCode).toBe(400);
    expect(cmp.json().code).toBe('SS_CASE_UNKNOWN_COMPOUND');
    const shape = await post(r, { ...kase('X-3', 'burglary'), extra: 1 });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().code).toBe('SS_CASE_INVALID');
    const time = await post(r, kase('X-4', 'burglary', { occurredAt: iso(T + 10 * DAY), registeredAt: iso(T + 10 * DAY) }));
    expect(time.json().code).toBe('SS_CASE_TIME');
    const noZone = await post(r, kase('X-5', 'burglary', { occurredAt: '2026-06-14T10:00:00' }));
    expect(noZone.json().code).toBe('SS_CASE_TIME');
    expect(r.engine.cases.casesOf('c0001')).toHaveLength(0);
    expect(r.engine.cases.getCase('X-2')).toBeUndefined();
    expect((await compound(r)).stars).toBe(5);
    const stats = (await r.app.inject({ method: 'GET', url: '/api/index/stats' })).json();
    expect(stats.rejected).toMatchObject({ SS_CASE_UNKNOWN_CATEGORY: 2, SS_CASE_UNKNOWN_COMPOUND: 1, SS_CASE_INVALID: 1, SS_CASE_TIME: 2 });
  });

  it('checks tokens: none → 401, another department → 403, operators cannot post cases', async () => {
    r = await rig(T);
    expect((await r.app.inject({ method: 'POST', url: '/api/cases', payload: kase('A-1', 'burglary') })).statusCode).toBe(401);
    expect((await post(r, kase('A-1', 'burglary'), 'not-a-known-token-at-all')).statusCode).toBe(401);
    expect((await post(r, kase('A-1', 'burglary'), TOKENS.court)).statusCode).toBe(403);
    expect((await post(r, kase('A-1', 'burglary'), TOKENS.operator)).statusCode).toBe(403);
    expect(r.engine.cases.getCase('A-1')).toBeUndefined();
    // A court may not rewrite a police case under the same id.
    expect((await post(r, kase('A-2', 'burglary'))).statusCode).toBe(201);
    expect((await post(r, kase('A-2', 'civil-case', { department: 'court' }), TOKENS.court)).statusCode).toBe(403);
  });

  it('departments post only their own categories: a petitions token cannot veto, nothing is stored', async () => {
    r = await rig(T);
    const hom = await post(r, kase('P-1', 'homicide', { department: 'petitions' }), TOKENS.petitions);
    expect(hom.statusCode).toBe(403);
    expect(hom.json().code).toBe('SS_CASE_CATEGORY_FORBIDDEN');
    expect(hom.json().message).toMatch(/veto category/);
    const burg = await post(r, kase('P-2', 'burglary', { department: 'petitions' }), TOKENS.petitions);
    expect(burg.json()).toMatchObject({ code: 'SS_CASE_CATEGORY_FORBIDDEN' });
    expect(burg.json().message).toMatch(/downgrade category/);
    // The police posts crimes, not civil cases; the court posts civil cases.
    expect((await post(r, kase('P-3', 'civil-case'))).json().code).toBe('SS_CASE_CATEGORY_FORBIDDEN');
    expect((await post(r, kase('P-4', 'civil-case', { department: 'court' }), TOKENS.court)).statusCode).toBe(201);
    expect((await post(r, kase('P-5', 'petition', { department: 'petitions' }), TOKENS.petitions)).statusCode).toBe(201);
    for (const id of ['P-1', 'P-2', 'P-3']) expect(r.engine.cases.getCase(id)).toBeUndefined();
    expect(r.engine.cases.getCase('P-4')?.postedBy).toBe('court');
    expect((await compound(r)).stars).toBe(5);
    // A department may not reclassify its own case into a category it does not own.
    expect((await post(r, kase('P-5', 'homicide', { department: 'petitions' }), TOKENS.petitions)).statusCode).toBe(403);
    expect(r.engine.cases.getCase('P-5')?.category).toBe('petition');
  });

  it('only confirmed device alarms count', async () => {
    r = await rig(T);
    const event = (id: string, type: Event['type']): Event => ({
      v: 1, id, deviceTime: T - 60_000, receivedAt: T - 59_000, district: 'siming', compound: 'c0001', edge: 'e1', device: 'c0001-acc-01', kind: 'access', type, severity: 'major', attributes: {},
    });
    r.engine.onEvents([event('edge1:0001:door', 'door-forced'), event('edge1:0002:dur', 'duress')]);
    const shown = await detail(r);
    expect(shown.detail.unconfirmedAlarms.map((a: { id: string }) => a.id).sort()).toEqual(['edge1:0001:door', 'edge1:0002:dur']);
    expect((await compound(r)).detail.unconfirmedAlarms).toBe(2);
    expect(shown.detail.subScores.iot.score).toBe(100);
    const before = shown.index;
    const pending = (await r.app.inject({ method: 'GET', url: '/api/alarms?status=pending', headers: { authorization: `Bearer ${TOKENS.operator}` } })).json();
    expect(pending.map((a: { id: string }) => a.id).sort()).toEqual(['edge1:0001:door', 'edge1:0002:dur']);
    expect((await r.app.inject({ method: 'POST', url: '/api/alarms/edge1:0002:dur/confirm', headers: { authorization: `Bearer ${TOKENS.police}` } })).statusCode).toBe(403);
    const ok = await r.app.inject({ method: 'POST', url: '/api/alarms/edge1:0002:dur/confirm', headers: { authorization: `Bearer ${TOKENS.operator}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().alarm.status).toBe('confirmed');
    const after = await detail(r);
    expect(after.index).toBeLessThan(before);
    expect(after.detail.subScores.iot.drivers.map((d: { id: string }) => d.id)).toEqual(['edge1:0002:dur']);
    await r.app.inject({ method: 'POST', url: '/api/alarms/edge1:0002:dur/dismiss', headers: { authorization: `Bearer ${TOKENS.operator}` } });
    expect((await compound(r)).index).toBe(before);
    expect((await r.app.inject({ method: 'POST', url: '/api/alarms/nope:1234567/confirm', headers: { authorization: `Bearer ${TOKENS.operator}` } })).statusCode).toBe(404);
  });

  it('a fall far below the band takes the plaque down at once; upgrades wait for the reviews (hysteresis)', async () => {
    r = await rig(T);
    for (let i = 0; i < 12; i++) await post(r, kase(`FR-${i}`, 'fraud-victim'));
    const low = await detail(r);
    expect(low.detail.computedStars).toBe(4);
    expect(low.index).toBeLessThan(90 - r.engine.policy.review.immediateDropPoints);
    expect(low.stars).toBe(4); // more than immediateDropPoints below 90: the plaque follows at once
    r.clock.now = Date.UTC(2026, 5, 30, 16, 0, 1); // just after the 1 July review
    r.engine.tick();
    expect((await compound(r)).stars).toBe(4);
    // The cases turn out unfounded: the index is back up at once, the plaque only after two runs ≥ 92.
    r.clock.now += 9 * DAY;
    for (let i = 0; i < 12; i++) await post(r, kase(`FR-${i}`, 'fraud-victim', { status: 'unfounded' }));
    const fixed = await compound(r);
    expect(fixed.index).toBeGreaterThan(92);
    expect(fixed.stars).toBe(4);
    r.clock.now = Date.UTC(2026, 6, 31, 16, 0, 1); // 1 August review: one good run
    r.engine.tick();
    expect((await compound(r)).stars).toBe(4);
    r.clock.now = Date.UTC(2026, 7, 31, 16, 0, 1); // 1 September: two good runs
    r.engine.tick();
    expect((await compound(r)).stars).toBe(5);
    const audit = r.engine.ratings.audit('c0001');
    expect(audit[0]).toMatchObject({ fromStars: 4, toStars: 5, trigger: 'review' });
  });

  it('a fall between reviews holds in the live hub when the index recovers (old cases leave the window), after a restart too', async () => {
    r = await rig(T);
    // Four robberies (neither veto nor downgrade) of a year ago, posted now: they leave the 365-day window on 18 June.
    const yearAgo = Date.UTC(2025, 5, 17, 16) + 3_600_000;
    for (let i = 0; i < 4; i++) await post(r, kase(`OLD-${i}`, 'robbery', { occurredAt: iso(yearAgo), registeredAt: iso(yearAgo) }));
    await post(r, kase('NEW-1', 'robbery'));
    const fell = await detail(r);
    expect(fell.index).toBeLessThanOrEqual(90 - r.engine.policy.review.immediateDropPoints);
    expect(fell.stars).toBe(4);
    expect(fell.detail).toMatchObject({ reviewStars: 4, droppedFrom: 5, lastReviewMonth: '2026-06' });
    expect(fell.detail.reason).toMatch(/down at once from the 5★ of the review of 2026-06/);
    // Five days on the index is back in the 5★ band; the plaque stays down until a review lifts it.
    r.clock.now = T + 5 * DAY;
    const later = await compound(r);
    expect(later.index).toBeGreaterThan(90);
    expect(later.stars).toBe(4);
    expect(later.detail.droppedFrom).toBe(5);
    // Nothing of the fall is stored: a restarted hub works it out from the cases and says the same.
    const file = r.file;
    await r.app.close();
    r.engine.close();
    r.state.close();
    r = await rig(T + 6 * DAY, file);
    expect((await compound(r)).stars).toBe(4);
    // The 1 July review: one run ≥ 92 at most, not two; the level stays 4, now set by the review.
    r.clock.now = Date.UTC(2026, 5, 30, 16, 0, 1);
    r.engine.tick();
    const july = await compound(r);
    expect(july.stars).toBe(4);
    expect(july.detail).toMatchObject({ reviewStars: 4, droppedFrom: null, lastReviewMonth: '2026-07' });
    expect(r.engine.ratings.audit('c0001').map((a) => a.toStars)).toEqual([4, 5]);
    rmSync(dirname(file), { recursive: true, force: true });
  });

  it('a compound without any data is unrated, not 5★, in the list and the public view', async () => {
    r = await rig(T);
    const c2 = await compound(r, 'c0002');
    expect(c2.stars).toBeNull();
    expect(c2.rated).toBe(false);
    expect(c2.detail.reason).toMatch(/unrated/);
    const list = (await r.app.inject({ method: 'GET', url: '/api/compounds' })).json() as { id: string; stars: number | null }[];
    expect(list.find((x) => x.id === 'c0002')?.stars).toBeNull();
    // A first case is data: the compound is rated from then on.
    await post(r, kase('U-1', 'fraud-victim', { compound: 'c0002' }));
    expect((await compound(r, 'c0002')).stars).toBeGreaterThan(0);
  });

  it('keeps cases, ratings and review state across a restart', async () => {
    r = await rig(T);
    await post(r, kase('B-9', 'burglary'));
    const file = r.file;
    await r.app.close();
    r.engine.close();
    r.state.close();
    r = undefined;
    const r2 = await rig(T + 1000, file);
    try {
      const c = await compound(r2);
      expect(c.stars).toBe(4);
      expect(r2.engine.ratings.audit('c0001').map((a) => a.toStars)).toEqual([4, 5]);
    } finally {
      await r2.app.close();
      r2.engine.close();
      r2.state.close();
    }
  });
});
