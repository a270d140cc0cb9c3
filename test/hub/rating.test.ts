import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import type { City } from '../../protocol/city.ts';
import { makeEvent, tempDir } from './helpers.ts';

// The hub's one rating engine (hub/index/hub-rating.ts) behind the RatingEngine seam, as
// startHub() creates it when no other engine is passed.
const city: City = {
  v: 1, seed: 1, name: 't', districts: [{ id: 'd1', name: 'D' }],
  compounds: [
    { id: 'c1', name: 'One', district: 'd1', households: 1000, lat: 0, lon: 0, devices: Array.from({ length: 20 }, (_, i) => ({ id: `dev-${i}`, kind: 'access' as const, profile: 'hik-access' as const, heartbeatSeconds: 60 })) },
  ],
};

type Detail = { subScores: Record<string, { score: number | null }>; unconfirmedAlarms: number | unknown[] };

describe('the hub rating engine (product index engine)', () => {
  it('rates from device health, scores alarms only once confirmed, and survives a restart', () => {
    let now = Date.UTC(2026, 10, 29, 4);
    const state = new StateDb(join(tempDir(), 'state.db'));
    state.registerCity(city);
    const r = new IndexRating({ state, now: () => now, learnsCompounds: false }, { manual: true });
    // No survey, no device heard, no case: unrated, not 100 / 5★.
    expect(r.get('c1')).toMatchObject({ stars: null, rated: false });
    // 20 devices heard from, then 2 go offline → 90 % online → online sub-score 0; without a survey
    // the other parts re-weigh: 100 × 0.75 / 0.85 = 88.24 → 4★ (and 5★ needs ≥ 95 % online anyway).
    r.onEvents(Array.from({ length: 20 }, (_, i) => makeEvent(i, { id: `hb-${i}-xxxxxx`, compound: 'c1', device: `dev-${i}`, type: 'heartbeat', deviceTime: now - 1000 })));
    expect(r.get('c1')).toMatchObject({ index: 100, stars: 5, rated: true });
    r.onEvents([0, 1].map((i) => makeEvent(i, { id: `off-${i}-xxxxxx`, compound: 'c1', device: `dev-${i}`, type: 'offline', deviceTime: now })));
    const off = r.get('c1');
    expect((off?.detail as Detail).subScores['online']?.score).toBe(0);
    expect(off).toMatchObject({ index: 88.24, stars: 4 });
    // A duress alarm is shown, never scored, until an operator confirms it (DOMAIN.md "IoT").
    r.onEvents([makeEvent(50, { id: 'duress-1-xxxxxx', compound: 'c1', device: 'dev-5', type: 'duress', severity: 'critical', deviceTime: now })]);
    const pending = r.getPrivate('c1');
    expect(pending?.index).toBe(88.24);
    expect((pending?.detail as Detail).unconfirmedAlarms).toHaveLength(1);
    r.decideAlarm('duress-1-xxxxxx', 'confirmed', 'operator');
    const confirmed = r.get('c1');
    expect((confirmed?.detail as Detail).subScores['iot']?.score).toBeLessThan(100);
    expect(confirmed?.index).toBeLessThan(88.24);
    // Persisted: a restarted engine shows the same rating and the same device state.
    now += 60_000;
    const before = r.get('c1');
    r.close();
    const again = new IndexRating({ state, now: () => now, learnsCompounds: false }, { manual: true });
    expect(again.get('c1')).toMatchObject({ index: before?.index, stars: before?.stars });
    expect((again.get('c1')?.detail as Detail).subScores['online']?.score).toBe(0);
    // With a registered city, an event for an unlisted compound is not rated (nor learned).
    again.onEvents([makeEvent(60, { id: 'x-unknown-xxxxxx', compound: 'typo' })]);
    expect(again.get('typo')).toBeUndefined();
    again.close();
    state.close();
  });

  it('learns compounds from events in dev mode (no city)', () => {
    const state = new StateDb(join(tempDir(), 'state.db'));
    const r = new IndexRating({ state, now: Date.now, learnsCompounds: true }, { manual: true });
    r.onEvents([makeEvent(1, { compound: 'cz', district: 'dz' })]);
    expect(r.list().map((c) => [c.id, c.district])).toEqual([['cz', 'dz']]);
    expect(state.compounds().map((c) => c.id)).toEqual(['cz']);
    r.close();
    state.close();
  });
});
