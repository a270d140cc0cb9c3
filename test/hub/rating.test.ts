import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { starsFor } from '../../hub/rating/policy.ts';
import { SimpleRating } from '../../hub/rating/simple.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import type { City } from '../../protocol/city.ts';
import { makeEvent, tempDir } from './helpers.ts';

const city: City = {
  v: 1, seed: 1, name: 't', districts: [{ id: 'd1', name: 'D' }],
  compounds: [
    { id: 'c1', name: 'One', district: 'd1', households: 1000, lat: 0, lon: 0, devices: Array.from({ length: 20 }, (_, i) => ({ id: `dev-${i}`, kind: 'access' as const, profile: 'hik-access' as const, heartbeatSeconds: 60 })) },
  ],
};

describe('simple rating', () => {
  it('uses the DOMAIN.md star bands, 5★ only with ≥ 95 % devices online', () => {
    expect([90.1, 90, 85, 80, 79.9, 70, 65, 60, 59.9].map((i) => starsFor(i, undefined))).toEqual([5, 4, 4, 4, 3, 3, 2, 2, 1]);
    expect(starsFor(99, 0.94)).toBe(4);
    expect(starsFor(99, 0.95)).toBe(5);
  });

  it('lowers the online sub-score for offline devices, and the IoT score for alarms with decay', () => {
    let now = Date.UTC(2026, 10, 29);
    const state = new StateDb(join(tempDir(), 'state.db'));
    state.registerCity(city);
    const r = new SimpleRating(state, () => now, false);
    expect(r.get('c1')).toMatchObject({ index: 100, stars: 5 });
    // 20 devices heard from, 2 of them then go offline → 90 % online → online sub-score 0
    r.onEvents(Array.from({ length: 20 }, (_, i) => makeEvent(i, { id: `hb-${i}-xxxxxx`, compound: 'c1', device: `dev-${i}`, type: 'heartbeat', deviceTime: now - 1000 })));
    r.onEvents([0, 1].map((i) => makeEvent(i, { id: `off-${i}-xxxxxx`, compound: 'c1', device: `dev-${i}`, type: 'offline', deviceTime: now })));
    const off = r.get('c1')!;
    expect(off.detail).toMatchObject({ onlineRate: 0.9, subScores: { online: 0 } });
    expect(off.index).toBe(90);
    expect(off.stars).toBe(4);
    // an alarm lowers IoT; its weight halves after the half-life
    r.onEvents([makeEvent(50, { id: 'duress-1-xxxxxx', compound: 'c1', device: 'dev-5', type: 'duress', severity: 'critical', deviceTime: now })]);
    type D = { subScores: { iot: number }; alarmLoadPer1000Households: number };
    const a = r.get('c1')!.detail as D;
    expect(a.subScores.iot).toBeLessThan(100);
    expect(a.alarmLoadPer1000Households).toBeCloseTo(2, 3); // duress weight 2.0 per 1,000 households
    now += 30 * 86_400_000;
    const b = r.get('c1')!.detail as D;
    expect(b.subScores.iot).toBeGreaterThan(a.subScores.iot);
    expect(b.alarmLoadPer1000Households).toBeCloseTo(1, 3); // one half-life later
    // persisted aggregates survive a restart
    r.persist();
    const again = new SimpleRating(state, () => now, false);
    expect((again.get('c1')!.detail as D).subScores.iot).toBeCloseTo(b.subScores.iot, 5);
    // unknown compounds are not learned when a city is registered
    r.onEvents([makeEvent(60, { id: 'x-unknown-xxxxxx', compound: 'typo' })]);
    expect(r.get('typo')).toBeUndefined();
    state.close();
  });

  it('learns compounds and devices from events in dev mode', () => {
    const state = new StateDb(join(tempDir(), 'state.db'));
    const r = new SimpleRating(state, Date.now, true);
    r.onEvents([makeEvent(1, { compound: 'cz', district: 'dz' })]);
    expect(r.list().map((c) => [c.id, c.district])).toEqual([['cz', 'dz']]);
    r.persist();
    expect(state.compounds().map((c) => c.id)).toEqual(['cz']);
    state.close();
  });
});
