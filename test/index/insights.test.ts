import { afterEach, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { localMidnight } from '../../hub/policy/time.ts';
import { insights, type InsightRow } from '../../hub/cases/insights.ts';
import { TOKENS, rig, type Rig } from './api-helpers.ts';

const policy = defaultPolicy();
const tz = policy.timezoneOffsetMinutes;
/** 2026-11-20 10:00 local. */
const NOW = localMidnight(2026, 11, 20, tz) + 10 * 3_600_000;
const inMonth = (m: number, day = 10) => localMidnight(2026, m, day, tz) + 3_600_000;

describe('common problems (共性问题)', () => {
  it('counts per district and local month and flags what rises in the last two months', () => {
    const rows: InsightRow[] = [];
    const add = (district: string, kind: string, month: number, n: number, source: 'case' | 'alarm' = 'case') => {
      for (let i = 0; i < n; i++) rows.push({ district, source, kind, at: inMonth(month) });
    };
    add('siming', 'fraud-victim', 6, 1); add('siming', 'fraud-victim', 7, 1); add('siming', 'fraud-victim', 8, 1); add('siming', 'fraud-victim', 9, 1);
    add('siming', 'fraud-victim', 10, 4); add('siming', 'fraud-victim', 11, 5); // 4.5 a month against 1: rising
    for (let m = 6; m <= 11; m++) add('siming', 'property-dispute', m, 2); // steady: common, not rising
    add('huli', 'fence-alarm', 11, 3, 'alarm'); // new, 3 recent: rising
    add('huli', 'burglary', 3, 9); // before the six months: not counted
    // 31 October 23:30 local is October, although it is 15:30 UTC that day: months are local.
    rows.push({ district: 'huli', source: 'case', kind: 'petition', at: localMidnight(2026, 11, 1, tz) - 30 * 60_000 });
    const r = insights(policy, rows, NOW);
    expect(r.months).toEqual(['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11']);
    const siming = r.districts.find((d) => d.id === 'siming')!;
    expect(siming.problems.find((p) => p.kind === 'fraud-victim')).toMatchObject({ counts: [1, 1, 1, 1, 4, 5], rising: true, trend: 4.5 });
    expect(siming.problems.find((p) => p.kind === 'property-dispute')).toMatchObject({ rising: false });
    const huli = r.districts.find((d) => d.id === 'huli')!;
    expect(huli.problems.find((p) => p.kind === 'burglary')).toBeUndefined();
    expect(huli.problems.find((p) => p.kind === 'petition')?.counts).toEqual([0, 0, 0, 0, 1, 0]);
    expect(r.rising.map((x) => [x.district, x.kind])).toEqual([['siming', 'fraud-victim'], ['huli', 'fence-alarm']]);
    expect(r.rising[0]?.label).toContain('fraud');
  });

  let g: Rig | undefined;
  afterEach(async () => {
    await g?.close();
    g = undefined;
  });

  it('GET /api/insights answers from the stored cases, with no case ids', async () => {
    g = await rig(NOW);
    for (let i = 0; i < 4; i++) {
      const at = new Date(NOW - (i + 1) * 86_400_000).toISOString();
      const res = await g.app.inject({ method: 'POST', url: '/api/cases', headers: { authorization: `Bearer ${TOKENS.police}` }, payload: { id: `INS-${i}`, department: 'police', category: 'fraud-victim', compound: 'c0001', occurredAt: at, registeredAt: at, status: 'registered' } });
      expect(res.statusCode).toBe(201);
    }
    const r = await g.app.inject({ method: 'GET', url: '/api/insights' });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { districts: { id: string; problems: { kind: string; counts: number[]; rising: boolean }[] }[]; rising: { kind: string }[] };
    expect(body.districts[0]?.id).toBe('siming');
    expect(body.districts[0]?.problems[0]).toMatchObject({ kind: 'fraud-victim', rising: true });
    expect(body.rising.map((x) => x.kind)).toEqual(['fraud-victim']);
    expect(r.body).not.toContain('INS-');
  });
});
