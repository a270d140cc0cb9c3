import { describe, expect, it } from 'vitest';
import { decode } from '../../edge/codecs/registry.ts';
import { openSecondsOf, regionOf } from '../../models/features.ts';
import { carriedAttributes, labeledEvents, profilesOf } from '../../models/sources.ts';
import { generateCity } from '../../simulators/city.ts';
import { generateTraffic } from '../../simulators/traffic.ts';
import { ENCODERS, type Intent } from '../../simulators/vendors/index.ts';
import { VENDOR_PROFILE_NAMES } from '../../protocol/vendors.ts';

/**
 * Offline rows (training, `models evaluate`) are built from the simulators' intent, the live path
 * from the vendor payload through the edge codecs. Whatever a feature reads must be the same on
 * both: kt-2.1.0 read the open duration of Hikvision door-held events offline, which their
 * payload never carries (DEVICES.md), and its offline door-held recall overstated the live one.
 */
describe('offline rows see only what the vendor payload carries', () => {
  const city = generateCity({ compounds: 2, seed: 7 });
  const compound = city.compounds[0]!;
  const t0 = Date.UTC(2026, 10, 29, 0, 15, 2);

  for (const profile of VENDOR_PROFILE_NAMES) {
    const enc = ENCODERS[profile];
    for (const type of enc.supports) {
      it(`${profile} ${type}: open duration and camera region offline = decoded at the edge`, () => {
        const attributes = { door: 1, zone: 1, region: 1, lane: 1, durationS: 1500 };
        const intent: Intent = { kind: enc.kind, channel: 'events', time: t0, deviceTime: t0, events: [{ type, severity: enc.severity(type), attributes }] };
        const out = enc.encode(intent, { device: { id: `${compound.id}-probe`, kind: enc.kind, profile, zone: 1 }, compound, seq: 1, tzOffsetMinutes: 480 });
        const r = decode(profile, 'events', Buffer.from(out.payload), { device: `${compound.id}-probe`, kind: enc.kind, timezone: '+08:00', receivedAt: t0 });
        if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
        expect(openSecondsOf(carriedAttributes(profile, type, attributes))).toBe(openSecondsOf(r.drafts[0]!.attributes));
        // f8 keys open region entries by camera region: offline and live must name the same one.
        expect(regionOf(carriedAttributes(profile, type, attributes))).toBe(regionOf(r.drafts[0]!.attributes));
      });
    }
  }

  it('no door-held of a simulated run carries its duration offline; every one is closed later by the same door', () => {
    const ids = city.compounds.map((c) => c.id);
    const events = [...labeledEvents(generateTraffic({ city, compoundIds: ids, seed: 3, startMs: t0, durationMs: 12 * 3_600_000, heartbeats: false }), profilesOf(city))];
    const held = events.filter((e) => e.type === 'door-held');
    expect(held.some((e) => e.profile === 'hik-access')).toBe(true);
    expect(held.some((e) => e.profile === 'dahua-access')).toBe(true);
    // The alarm starts before anyone knows how long the door stays open (kt-2.4.0's Dahua alarm knew).
    for (const e of held) expect(openSecondsOf(e.attributes), `${e.profile}`).toBe(0);
    // The edge dates the hold by the door's close (features f9), so each alarm must have one, 30–300 s on.
    const closes = events.filter((e) => e.type === 'door-closed');
    for (const h of held.filter((e) => e.deviceTime < t0 + 11 * 3_600_000)) {
      const close = closes.find((c) => c.device === h.device && c.deviceTime > h.deviceTime);
      expect(close, `${h.device} held at ${h.deviceTime}`).toBeDefined();
      expect((close!.deviceTime - h.deviceTime) / 1000).toBeGreaterThanOrEqual(30);
      expect((close!.deviceTime - h.deviceTime) / 1000).toBeLessThanOrEqual(300);
    }
    // every event names its device's vendor (the features' vendor prior)
    expect(events.every((e) => typeof e.profile === 'string')).toBe(true);
  });
});
