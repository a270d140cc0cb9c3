import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES, FeatureExtractor, type FeatureEvent } from '../../models/features.ts';
import type { EventType } from '../../protocol/devices.ts';

const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<(typeof FEATURE_NAMES)[number], number>;
// 2026-11-30 is a Monday; 00:00 +08:00 = 2026-11-29T16:00Z.
const MONDAY_LOCAL_MIDNIGHT = Date.parse('2026-11-29T16:00:00Z');

function access(t: number, type: EventType, device = 'c0001-acc-01', attributes: FeatureEvent['attributes'] = {}): FeatureEvent {
  return { deviceTime: t, device, compound: 'c0001', kind: 'access', type, attributes };
}

describe('FeatureExtractor', () => {
  it('produces FEATURE_COUNT finite values and skips heartbeats', () => {
    const fx = new FeatureExtractor();
    expect(fx.push(access(MONDAY_LOCAL_MIDNIGHT, 'heartbeat'))).toBeNull();
    const row = fx.push(access(MONDAY_LOCAL_MIDNIGHT, 'granted', undefined, { card: 'k1' }))!;
    expect(row).toHaveLength(FEATURE_COUNT);
    expect(Array.from(row).every(Number.isFinite)).toBe(true);
  });

  it('f7: flags a video loss that follows a tamper on the same camera within 10 min, and nothing else', () => {
    const cam = (t: number, type: EventType, device = 'c0001-cam-01'): FeatureEvent => ({ deviceTime: t, device, compound: 'c0001', kind: 'camera', type, attributes: { region: 1 } });
    const fx = new FeatureExtractor();
    const t0 = MONDAY_LOCAL_MIDNIGHT;
    expect(fx.push(cam(t0, 'video-loss'))![F.dev_blind_after_tamper]).toBe(0); // no tamper before
    expect(fx.push(cam(t0 + 1000, 'tamper'))![F.dev_blind_after_tamper]).toBe(0); // the tamper itself
    expect(fx.push(cam(t0 + 2000, 'motion'))![F.dev_blind_after_tamper]).toBe(0);
    expect(fx.push(cam(t0 + 60_000, 'video-loss', 'c0001-cam-02'))![F.dev_blind_after_tamper]).toBe(0); // another camera
    expect(fx.push(cam(t0 + 60_000, 'video-loss'))![F.dev_blind_after_tamper]).toBe(1);
    expect(fx.push(cam(t0 + 1000 + 10 * 60_000 + 1, 'video-loss'))![F.dev_blind_after_tamper]).toBe(0); // past the window
    // Restored memory keeps it: the tamper's time is in the snapshot.
    fx.push(cam(t0 + 20 * 60_000, 'tamper'));
    const back = new FeatureExtractor();
    back.restore(fx.snapshot());
    expect(back.push(cam(t0 + 21 * 60_000, 'video-loss'))![F.dev_blind_after_tamper]).toBe(1);
  });

  it('f9: a door-closed reads how long the door stood open since its held-open alarm, across a restore', () => {
    const fx = new FeatureExtractor();
    const t0 = MONDAY_LOCAL_MIDNIGHT;
    // A close with no alarm open is an ordinary passage.
    expect(fx.push(access(t0, 'door-closed'))![F.door_open_log]).toBe(0);
    expect(fx.push(access(t0 + 1000, 'door-held'))![F.door_open_log]).toBe(0); // the alarm itself carries nothing
    expect(fx.push(access(t0 + 61_000, 'door-held', 'c0001-acc-02'))![F.door_open_log]).toBe(0);
    expect(fx.push(access(t0 + 121_000, 'door-closed'))![F.door_open_log]).toBeCloseTo(Math.log1p(120), 5);
    // The same alarm is closed once: a second close is an ordinary one.
    expect(fx.push(access(t0 + 200_000, 'door-closed'))![F.door_open_log]).toBe(0);
    // A payload's own duration wins.
    expect(fx.push(access(t0 + 300_000, 'door-closed', 'c0001-acc-03', { durationS: 42 }))![F.door_open_log]).toBeCloseTo(Math.log1p(42), 5);
    // The other door's alarm (raised at t0 + 61 s) is still open across a restart: its close 25 min later dates it.
    const back = new FeatureExtractor();
    back.restore(fx.snapshot());
    expect(back.push(access(t0 + 61_000 + 1_500_000, 'door-closed', 'c0001-acc-02'))![F.door_open_log]).toBeCloseTo(Math.log1p(1500), 5);
  });

  it('f9: a multi-door controller dates each door by its own alarm; an alarm over 2 h old dates nothing', () => {
    const fx = new FeatureExtractor();
    const t0 = MONDAY_LOCAL_MIDNIGHT;
    const d = (door: number): FeatureEvent['attributes'] => ({ door });
    fx.push(access(t0, 'door-held', 'c0001-acc-09', d(1)));
    fx.push(access(t0 + 10_000, 'door-held', 'c0001-acc-09', d(1))); // a repeated alarm keeps the first time
    fx.push(access(t0 + 30_000, 'door-held', 'c0001-acc-09', d(2)));
    // Door 3 closes after an ordinary passage (Hikvision reports every close): nothing to date, door 1 stays open.
    expect(fx.push(access(t0 + 60_000, 'door-closed', 'c0001-acc-09', d(3)))![F.door_open_log]).toBe(0);
    expect(fx.push(access(t0 + 90_000, 'door-closed', 'c0001-acc-09', d(2)))![F.door_open_log]).toBeCloseTo(Math.log1p(60), 5);
    expect(fx.push(access(t0 + 600_000, 'door-closed', 'c0001-acc-09', d(1)))![F.door_open_log]).toBeCloseTo(Math.log1p(600), 5);
    // A close whose alarm is 3 h old most likely follows a close that never reached the edge.
    fx.push(access(t0 + 700_000, 'door-held', 'c0001-acc-09', d(1)));
    expect(fx.push(access(t0 + 700_000 + 3 * 3_600_000, 'door-closed', 'c0001-acc-09', d(1)))![F.door_open_log]).toBe(0);
    // ... and it is consumed: the next close is an ordinary one.
    expect(fx.push(access(t0 + 700_000 + 3 * 3_600_000 + 5_000, 'door-closed', 'c0001-acc-09', d(1)))![F.door_open_log]).toBe(0);
  });

  it('f8: flags the leave of a camera region whose open entry began ≤ 10 min before a forced door 5–30 min old', () => {
    const cam = (t: number, type: EventType, region: number | string = 1, device = 'c0001-cam-01'): FeatureEvent => ({ deviceTime: t, device, compound: 'c0001', kind: 'camera', type, attributes: { region } });
    const MIN = 60_000;
    const fx = new FeatureExtractor();
    // A day of a small compound first (passages, motion, a region entry and leave every 3 h, no
    // forced door): the triple below is far from what its traffic produces by chance.
    for (let t = MONDAY_LOCAL_MIDNIGHT; t < MONDAY_LOCAL_MIDNIGHT + 86_400_000; t += 2 * MIN) {
      fx.push(access(t, 'granted', undefined, { card: `k${t % 7}` }));
      if (t % (10 * MIN) === 0) fx.push(cam(t + 1000, 'motion', 1, 'c0001-cam-02'));
      if (t % (180 * MIN) === 0) {
        fx.push(cam(t + 2000, 'intrusion-enter', 3));
        fx.push(cam(t + 5 * MIN, 'intrusion-leave', 3));
      }
    }
    const t0 = MONDAY_LOCAL_MIDNIGHT + 86_400_000 + 10 * 3_600_000;
    expect(fx.push(cam(t0, 'intrusion-enter'))![F.cam_entry_spans_forced]).toBe(0);
    expect(fx.push(access(t0 + 4 * MIN, 'door-forced'))![F.cam_entry_spans_forced]).toBe(0);
    expect(fx.push(cam(t0 + 5 * MIN, 'intrusion-leave', 2))![F.cam_entry_spans_forced]).toBe(0); // another region was left
    expect(fx.push(cam(t0 + 6 * MIN, 'intrusion-leave', 1, 'c0001-cam-02'))![F.cam_entry_spans_forced]).toBe(0); // another camera
    // The codec's region is a string, the simulators' a number: the same region.
    expect(fx.push(cam(t0 + 20 * MIN, 'intrusion-leave', '1'))![F.cam_entry_spans_forced]).toBe(1);
    expect(fx.push(cam(t0 + 21 * MIN, 'intrusion-leave'))![F.cam_entry_spans_forced]).toBe(0); // the entry is closed now
    // Door more than 10 min after the entry, or the leave more than 30 min after the door: no.
    const t1 = t0 + 2 * 3_600_000;
    fx.push(cam(t1, 'intrusion-enter'));
    fx.push(access(t1 + 11 * MIN, 'door-forced'));
    expect(fx.push(cam(t1 + 15 * MIN, 'intrusion-leave'))![F.cam_entry_spans_forced]).toBe(0);
    const t2 = t1 + 2 * 3_600_000;
    fx.push(cam(t2, 'intrusion-enter'));
    fx.push(access(t2 + 3 * MIN, 'door-forced'));
    expect(fx.push(cam(t2 + 34 * MIN, 'intrusion-leave'))![F.cam_entry_spans_forced]).toBe(0);
    // A forced door before the entry does not count (the region was entered after it).
    const t3 = t2 + 2 * 3_600_000;
    fx.push(access(t3, 'door-forced'));
    fx.push(cam(t3 + MIN, 'intrusion-enter'));
    expect(fx.push(cam(t3 + 10 * MIN, 'intrusion-leave'))![F.cam_entry_spans_forced]).toBe(0);
    // The open entry and the forced door are part of the saved memory.
    const t4 = t3 + 2 * 3_600_000;
    fx.push(cam(t4, 'intrusion-enter'));
    fx.push(access(t4 + 2 * MIN, 'door-forced'));
    const back = new FeatureExtractor();
    back.restore(JSON.parse(JSON.stringify(fx.snapshot())));
    expect(back.push(cam(t4 + 15 * MIN, 'intrusion-leave'))![F.cam_entry_spans_forced]).toBe(1);
  });

  /**
   * Two busy days of a compound (5 cameras, a region entry every 146 s, each left `stayMs` later,
   * a forced door every hour), then the triple: entry, door 3 min on, leave 15 min on.
   */
  function tripleAfterBusyDays(stayMs: number): number {
    const MIN = 60_000;
    const fx = new FeatureExtractor();
    const t0 = MONDAY_LOCAL_MIDNIGHT;
    let t = t0;
    for (let i = 0; t < t0 + 2 * 86_400_000; i++, t += 146_000) {
      const device = `c0001-cam-0${i % 5}`;
      fx.push({ deviceTime: t, device, compound: 'c0001', kind: 'camera', type: 'intrusion-enter', attributes: {} });
      fx.push({ deviceTime: t + stayMs, device, compound: 'c0001', kind: 'camera', type: 'intrusion-leave', attributes: {} });
      if (i % 25 === 0) fx.push(access(t + stayMs + 1000, 'door-forced'));
    }
    const cam = (tt: number, type: EventType): FeatureEvent => ({ deviceTime: tt, device: 'c0001-cam-09', compound: 'c0001', kind: 'camera', type, attributes: {} });
    fx.push(cam(t, 'intrusion-enter'));
    fx.push(access(t + 3 * MIN, 'door-forced'));
    return fx.push(cam(t + 15 * MIN, 'intrusion-leave'))![F.cam_entry_spans_forced]!;
  }

  it('f8: where people stay in view ~6 min and doors are forced hourly, the same triple is coincidence and stays 0', () => {
    expect(tripleAfterBusyDays(365_000)).toBe(0);
  });

  it('f8: the gate is measured: as many forced doors and entries, but people pass through in 40 s, and the same triple counts', () => {
    expect(tripleAfterBusyDays(40_000)).toBe(1);
  });

  it('encodes local hour and weekday in the site timezone', () => {
    const fx = new FeatureExtractor({ tzOffsetMinutes: 480 });
    const row = fx.push(access(MONDAY_LOCAL_MIDNIGHT + 3 * 3_600_000, 'granted'))!;
    expect(row[F.hour_sin]).toBeCloseTo(Math.sin((2 * Math.PI * 3) / 24), 5);
    expect(row[F.hour_cos]).toBeCloseTo(Math.cos((2 * Math.PI * 3) / 24), 5);
    expect(row[F.weekend]).toBe(0);
    const sat = fx.push(access(MONDAY_LOCAL_MIDNIGHT - 36 * 3_600_000, 'granted', 'c0001-acc-02'))!; // Saturday noon
    expect(sat[F.weekend]).toBe(1);
  });

  it('counts the sliding window, denial ratio and distinct credentials, and forgets after 10 min', () => {
    const fx = new FeatureExtractor();
    let row: Float32Array | null = null;
    for (let i = 0; i < 6; i++) row = fx.push(access(MONDAY_LOCAL_MIDNIGHT + i * 1000, 'denied', undefined, { card: `bad${i}` }));
    expect(row![F.dev_count_10m]).toBeCloseTo(Math.log1p(6), 5);
    expect(row![F.dev_denial_ratio_10m]).toBeCloseTo(6 / 7, 5);
    expect(row![F.dev_distinct_creds_10m]).toBeCloseTo(Math.log1p(6), 5);
    expect(row![F.cmp_type_burst]).toBeGreaterThan(0);
    const later = fx.push(access(MONDAY_LOCAL_MIDNIGHT + 11 * 60_000, 'granted', undefined, { card: 'ok' }))!;
    expect(later[F.dev_count_10m]).toBeCloseTo(Math.log1p(1), 5);
    expect(later[F.dev_denial_ratio_10m]).toBe(0);
    expect(later[F.dev_gap_log]).toBeCloseTo(Math.log1p(11 * 60 - 5), 3);
  });

  it('sees one credential at another device within the window (card cloning)', () => {
    const fx = new FeatureExtractor();
    fx.push(access(MONDAY_LOCAL_MIDNIGHT, 'granted', 'c0001-acc-01', { card: 'same' }));
    const row = fx.push(access(MONDAY_LOCAL_MIDNIGHT + 60_000, 'granted', 'c0001-acc-09', { card: 'same' }))!;
    expect(row[F.cred_other_devices_10m]).toBeCloseTo(Math.log1p(1), 5);
    const other = fx.push(access(MONDAY_LOCAL_MIDNIGHT + 61_000, 'granted', 'c0001-acc-09', { card: 'different' }))!;
    expect(other[F.cred_other_devices_10m]).toBe(0);
    expect(row[F.cred_other_compound_10m]).toBe(0);
    const far = fx.push({ ...access(MONDAY_LOCAL_MIDNIGHT + 120_000, 'granted', 'c0007-acc-01', { card: 'same' }), compound: 'c0007' })!;
    expect(far[F.cred_other_compound_10m]).toBe(1);
  });

  it('finds a type the device never emits more surprising than its usual type', () => {
    const fx = new FeatureExtractor();
    let usual: Float32Array | null = null;
    for (let i = 0; i < 500; i++) usual = fx.push(access(MONDAY_LOCAL_MIDNIGHT + i * 60_000, 'granted', undefined, { card: `r${i % 50}` }));
    const usualSurprise = usual![F.type_surprise]!;
    const forced = fx.push(access(MONDAY_LOCAL_MIDNIGHT + 501 * 60_000, 'door-forced'))!;
    expect(forced[F.type_surprise]).toBeGreaterThan(usualSurprise + 3);
    expect(forced[F.door_open_log]).toBe(0);
    // a burst of one type piles up: the 6th tailgating in 2 minutes is far stranger than the 1st
    const burst: Float32Array[] = [];
    for (let i = 0; i < 6; i++) burst.push(Float32Array.from(fx.push(access(MONDAY_LOCAL_MIDNIGHT + 501 * 60_000 + i * 20_000, 'tailgating'))!));
    expect(burst[5]![F.dev_type_burst]).toBeGreaterThan(burst[0]![F.dev_type_burst]! + 2);
    const held = fx.push(access(MONDAY_LOCAL_MIDNIGHT + 504 * 60_000, 'door-held', undefined, { durationS: 300 }))!;
    expect(held[F.door_open_log]).toBeCloseTo(Math.log1p(300), 5);
  });

  it('keeps memory bounded however many devices and credentials it sees', () => {
    const fx = new FeatureExtractor({ maxDevices: 100, maxCompounds: 10, maxCredentials: 50 });
    for (let i = 0; i < 5_000; i++) {
      fx.push({ deviceTime: MONDAY_LOCAL_MIDNIGHT + i, device: `d${i}`, compound: `c${i}`, kind: 'access', type: 'granted', attributes: { card: `k${i}` } });
    }
    expect(fx.sizes()).toEqual({ devices: 100, compounds: 10, credentials: 50 });
  });

  it('is deterministic: same events, same features', () => {
    const run = (): number[] => {
      const fx = new FeatureExtractor();
      const out: number[] = [];
      for (let i = 0; i < 200; i++) {
        const r = fx.push(access(MONDAY_LOCAL_MIDNIGHT + i * 37_000, i % 7 === 0 ? 'denied' : 'granted', `c0001-acc-0${i % 3}`, { card: `k${i % 11}` }));
        out.push(...Array.from(r!));
      }
      return out;
    };
    expect(run()).toEqual(run());
  });
  it('a new device starts from the prior of its kind and vendor (f6)', () => {
    // Two vendors of door: 'hik-access' doors here raise tailgating alarms often, 'dahua-access' never.
    const profiles = new Map<string, string>();
    const fx = new FeatureExtractor({ profileOf: (d) => profiles.get(d) });
    let t = MONDAY_LOCAL_MIDNIGHT;
    for (let i = 0; i < 2_000; i++) {
      for (const [device, profile] of [['c0001-acc-h1', 'hik-access'], ['c0001-acc-d1', 'dahua-access']] as const) {
        profiles.set(device, profile);
        fx.push(access((t += 5_000), profile === 'hik-access' && i % 5 === 0 ? 'tailgating' : 'granted', device, { card: `k${i % 50}` }));
      }
    }
    profiles.set('c0001-acc-h2', 'hik-access');
    profiles.set('c0001-acc-d2', 'dahua-access');
    const hikNew = fx.push(access((t += 5_000), 'tailgating', 'c0001-acc-h2'))!;
    const dahuaNew = fx.push(access((t += 5_000), 'tailgating', 'c0001-acc-d2'))!;
    // The new Hik door expects tailgating (its vendor's habit); the new Dahua door does not.
    expect(hikNew[F.type_surprise]).toBeLessThan(2.5);
    expect(dahuaNew[F.type_surprise]).toBeGreaterThan(hikNew[F.type_surprise]! + 2);
    // An event that names its profile itself needs no lookup; without any profile the kind prior serves.
    const named = fx.push({ ...access((t += 5_000), 'tailgating', 'c0001-acc-h3'), profile: 'hik-access' })!;
    expect(named[F.type_surprise]).toBeCloseTo(hikNew[F.type_surprise]!, 1);
    const kindOnly = fx.push(access((t += 5_000), 'tailgating', 'c0001-acc-x1'))!;
    expect(kindOnly[F.type_surprise]).toBeGreaterThan(hikNew[F.type_surprise]!);
    expect(kindOnly[F.type_surprise]).toBeLessThan(dahuaNew[F.type_surprise]!);
  });

  it('counts distinct refused credentials across the compound (f6), not one card refused again and again', () => {
    const fx = new FeatureExtractor();
    let t = MONDAY_LOCAL_MIDNIGHT;
    for (let i = 0; i < 3_000; i++) fx.push(access((t += 20_000), i % 20 === 0 ? 'denied' : 'granted', `c0001-acc-0${i % 4}`, { card: `k${i % 300}` }));
    let same: Float32Array | null = null;
    for (let i = 0; i < 6; i++) same = fx.push(access((t += 5_000), 'denied', 'c0001-acc-00', { card: 'stranger-1' }));
    const sameV = same![F.cmp_denied_creds_excess_10m]!;
    t += 20 * 60_000;
    let scan: Float32Array | null = null;
    for (let i = 0; i < 6; i++) scan = fx.push(access((t += 5_000), 'denied', `c0001-acc-0${i % 3}`, { card: `stranger-${10 + i}` }));
    expect(scan![F.cmp_denied_creds_excess_10m]).toBeGreaterThan(sameV + 1);
  });
});
