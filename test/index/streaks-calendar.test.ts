import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { streaksOf } from '../../hub/index/streaks.ts';
import { kase } from './helpers.ts';

// Zero-incident flags at the calendar edges of Asia/Shanghai (+08:00): the month, quarter and year
// a flag speaks of are local ones, so a burglary at 00:30 local on 1 January (16:30 UTC on
// 31 December) belongs to the new year, and one at 23:30 local on 31 December to the old one.
const policy = defaultPolicy();
const local = (iso: string): number => Date.parse(`${iso}+08:00`);

describe('zero-incident streaks at calendar edges (Asia/Shanghai)', () => {
  it('a burglary at 23:30 on 31 December breaks the old year, and the new year starts clean at local midnight', () => {
    const cases = [kase('burglary', local('2026-12-31T23:30:00'))];
    const before = streaksOf(policy, cases, local('2026-12-31T23:59:59'));
    expect(before.year).toMatchObject({ period: '2026', zeroPreventable: false, zeroAlerts: false });
    expect(before.month.period).toBe('2026-12');
    expect(before.quarter.period).toBe('2026-Q4');
    const after = streaksOf(policy, cases, local('2027-01-01T00:00:01'));
    expect(after.year).toMatchObject({ period: '2027', zeroPreventable: true, zeroAlerts: true });
    expect(after.month).toMatchObject({ period: '2027-01', zeroPreventable: true });
    expect(after.quarter).toMatchObject({ period: '2027-Q1', zeroPreventable: true });
    // The streak counter runs on across the year: it counts days, not calendar periods.
    expect(after.daysSinceLastIncident).toBe(0);
    expect(streaksOf(policy, cases, local('2027-01-02T23:30:00')).daysSinceLastIncident).toBe(2);
  });

  it('00:30 local on 1 January (16:30 UTC the day before) is in the new year, month and quarter', () => {
    const t = local('2027-01-01T00:30:00');
    expect(new Date(t).getUTCDate()).toBe(31);
    const s = streaksOf(policy, [kase('burglary', t)], local('2027-01-01T12:00:00'));
    expect(s.year).toMatchObject({ period: '2027', zeroPreventable: false });
    expect(s.month).toMatchObject({ period: '2027-01', zeroPreventable: false });
  });

  it('month ends: a case on 31 March is in Q1 and March; 1 April starts a clean month and quarter', () => {
    const cases = [kase('burglary', local('2027-03-31T22:00:00'))];
    const apr = streaksOf(policy, cases, local('2027-04-01T08:00:00'));
    expect(apr.month).toMatchObject({ period: '2027-04', zeroPreventable: true });
    expect(apr.quarter).toMatchObject({ period: '2027-Q2', zeroPreventable: true });
    expect(apr.year).toMatchObject({ period: '2027', zeroPreventable: false });
  });

  it('29 February 2028 belongs to February; 1 March starts a clean month; days since count the leap day', () => {
    const cases = [kase('burglary', local('2028-02-29T12:00:00'))];
    const feb = streaksOf(policy, cases, local('2028-02-29T23:59:00'));
    expect(feb.month).toMatchObject({ period: '2028-02', zeroPreventable: false });
    const mar = streaksOf(policy, cases, local('2028-03-01T00:00:30'));
    expect(mar.month).toMatchObject({ period: '2028-03', zeroPreventable: true });
    expect(mar.quarter).toMatchObject({ period: '2028-Q1', zeroPreventable: false });
    expect(streaksOf(policy, [kase('burglary', local('2028-02-28T12:00:00'))], local('2028-03-01T12:00:00')).daysSinceLastIncident).toBe(2);
  });
});
