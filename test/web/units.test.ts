import { describe, expect, it } from 'vitest';
import { lowest, mapData } from '../../hub/web/map-view.ts';
import { publicView, driverWords } from '../../hub/web/public-view.ts';
import { RateLimiter } from '../../hub/web/rate-limit.ts';
import { checkCheckin, checkReport } from '../../hub/web/validate.ts';
import { pageUrl } from '../../hub/web/qr.ts';
import { esc } from '../../hub/web/html.ts';
import { WEB_ERRORS } from '../../hub/web/errors.ts';

describe('mapData / lowest', () => {
  const items = [
    { id: 'a', name: 'A', district: 'd1', stars: 5, index: 95, lat: 24.5, lon: 118.1 },
    { id: 'b', name: 'B', district: 'd1', stars: 3, index: 75, lat: 24.6, lon: 118.2 },
    { id: 'c', name: 'C', district: 'd2', stars: 5, index: 99, lat: null, lon: null },
    { id: 'd', name: 'D', district: 'd2', stars: 0, index: 88, lat: 24.4, lon: 118.0 },
  ];
  it('counts five-star shares per district and overall, and leaves unplaced compounds off the map', () => {
    const m = mapData(items, new Map([['d1', 'District one']]), 0);
    expect(m.total).toMatchObject({ compounds: 4, fiveStar: 2, share: 0.5, byStars: [1, 0, 0, 1, 0, 2] });
    expect(m.districts.map((d) => [d.id, d.name, d.compounds, d.fiveStar])).toEqual([['d1', 'District one', 2, 1], ['d2', 'd2', 2, 1]]);
    expect(m.points.map((p) => p.id)).toEqual(['a', 'b', 'd']);
    expect(m.unplaced).toBe(1);
  });
  it('orders the lowest by stars, then index, then id', () => {
    expect(lowest(items, 3).map((c) => c.id)).toEqual(['d', 'b', 'a']);
  });
  it('counts unrated compounds apart: not in the share, not in the lowest list', () => {
    const withUnrated = [...items, { id: 'e', name: 'E', district: 'd1', stars: null, index: 100, lat: 24.5, lon: 118.3 }];
    const m = mapData(withUnrated, new Map(), 0);
    expect(m.total).toMatchObject({ compounds: 5, unrated: 1, fiveStar: 2, share: 0.5 });
    expect(m.districts.find((d) => d.id === 'd1')).toMatchObject({ compounds: 3, unrated: 1, share: 0.5 });
    expect(lowest(withUnrated, 10).map((c) => c.id)).not.toContain('e');
  });
});

describe('publicView', () => {
  const rating = {
    id: 'c1', name: 'N', district: 'd', households: 300, index: 61.234, stars: 0, updatedAt: '2026-06-01T00:00:00.000Z',
    detail: {
      subScores: { crime: { score: 55.55, drivers: [{ id: 'case-secret', category: 'homicide' }] }, survey: { score: null } },
      veto: { category: 'homicide', since: '2026-12-31T17:00:00.000Z', until: '2026-12-31T16:00:00.000Z', case: { id: 'case-secret', department: 'police' } },
      downgrades: [{ rule: 'burglary', stars: 1, until: '2026-11-30T00:00:00.000Z', cases: [{ id: 'case-b', department: 'police', category: 'burglary', occurredAt: '2026-05-10T00:00:00.000Z' }] }],
      themes: [{ theme: 'violence', loss: 20.04 }, { theme: 'dispute', loss: 0.01 }],
      streaks: { daysSinceLastIncident: 3, month: { period: '2026-06', zeroAlerts: false, zeroPreventable: true } },
      unconfirmedAlarms: [{ id: 'ev-1', device: 'cam-7' }],
    },
  };
  it('keeps categories and months, drops case ids, departments and device ids', () => {
    const p = publicView(rating);
    const json = JSON.stringify(p);
    for (const secret of ['case-secret', 'case-b', 'police', 'cam-7', 'ev-1']) expect(json).not.toContain(secret);
    // Months are in the city's zone (UTC+8): 17:00 UTC on 31 Dec is already January.
    expect(p.veto).toEqual({ category: 'homicide', label: '命案 homicide', month: '2027-01', untilMonth: '2027-01' });
    expect(p.downgrades[0]).toMatchObject({ rule: 'burglary', stars: 1, cases: [{ category: 'burglary', month: '2026-05' }] });
    expect(p.subScores).toEqual([
      { key: 'crime', label: expect.stringContaining('Crime'), score: 55.6, words: '需改进 needs attention' },
      { key: 'survey', label: expect.stringContaining('satisfaction'), score: null, words: '暂无数据 no data yet' },
    ]);
    expect(p.drivers).toEqual([{ theme: 'violence', label: expect.stringContaining('violent'), points: 20 }]);
    expect(p.unconfirmedAlarms).toBe(1);
    expect(driverWords(p)[0]).toContain('veto');
  });
  it('reads the engine\'s month-precision public detail and says unrated', () => {
    const p = publicView({
      id: 'u', name: 'U', district: 'd', households: 10, index: 100, stars: null, rated: false, updatedAt: '2026-06-01T00:00:00.000Z',
      detail: { reason: 'unrated: not enough data', veto: null, downgrades: [{ rule: 'burglary', stars: 1, untilMonth: '2026-11', cases: [{ category: 'burglary', month: '2026-05' }] }] },
    });
    expect(p).toMatchObject({ stars: null, rated: false, reason: 'unrated: not enough data', updatedMonth: '2026-06' });
    expect(p.downgrades[0]).toMatchObject({ untilMonth: '2026-11', cases: [{ category: 'burglary', month: '2026-05' }] });
    expect(driverWords(p)[0]).toMatch(/unrated/);
  });
  it('copes with an engine that explains nothing', () => {
    const p = publicView({ id: 'x', name: 'X', district: 'd', households: 1, index: 100, stars: 5, updatedAt: 'now' });
    expect(p.rated).toBe(true);
    expect(p).toMatchObject({ subScores: [], veto: null, downgrades: [], drivers: [], streaks: { daysSinceLastIncident: null } });
  });
});

describe('validation, limits, helpers', () => {
  it('checks reports and check-ins', () => {
    expect(checkReport({ category: 'fire', text: '  smoke in the basement  ' })).toEqual({ ok: true, value: { category: 'fire', text: 'smoke in the basement' } });
    expect(checkReport({ category: 'fire', text: '😀'.repeat(500) }).ok).toBe(true);
    expect(checkReport({ category: 'fire', text: '😀'.repeat(501) }).ok).toBe(false);
    expect(checkReport({ category: 'fire' }).ok).toBe(false);
    expect(checkCheckin({ officer: ' 35021 ', activity: 'service' })).toEqual({ ok: true, value: { officer: '35021', activity: 'service' } });
    expect(checkCheckin({ officer: '35021', activity: 'patrol' }).ok).toBe(false);
  });
  it('rate limits per key in fixed windows and forgets the oldest keys past its bound', () => {
    const clock = { t: 0 };
    const rl = new RateLimiter({ limit: 2, windowMs: 1000, maxKeys: 2 }, () => clock.t);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([true, true, false]);
    expect(rl.take('b')).toBe(true);
    clock.t = 1000;
    expect(rl.take('a')).toBe(true);
    clock.t = 1001;
    rl.take('c'); // evicts b's window (oldest)
    expect(rl.take('a')).toBe(true);
    expect(rl.take('a')).toBe(false);
  });
  it('builds page URLs from a configured base or the request', () => {
    expect(pageUrl('c 1', 'https://safe.example/', { protocol: 'http', host: 'x' })).toBe('https://safe.example/c/c%201');
    expect(pageUrl('c1', undefined, { protocol: 'http', host: '10.0.0.1:8080' })).toBe('http://10.0.0.1:8080/c/c1');
    expect(esc('<a href="x">\'&')).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  });
  it('every error code has a message that says what to do', () => {
    for (const [code, msg] of Object.entries(WEB_ERRORS)) {
      expect(code).toMatch(/^SS_WEB_[A-Z_]+$/);
      expect(msg.length).toBeGreaterThan(20);
    }
  });
});
