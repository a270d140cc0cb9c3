import { describe, expect, it } from 'vitest';
import { decode } from '../../edge/codecs/registry.ts';
import { generateCity } from '../../simulators/city.ts';
import { generateTraffic, type TrafficItem } from '../../simulators/traffic.ts';
import { planScenarios, SCENARIO_NAMES } from '../../simulators/scenarios/index.ts';
import { ENCODERS, type Intent, type IntentEvent } from '../../simulators/vendors/index.ts';
import { planBad } from '../../simulators/scenarios/bad-traffic.ts';
import { Rng } from '../../simulators/random.ts';
import { BAD_KINDS } from '../../simulators/vendors/types.ts';
import type { EventType } from '../../protocol/devices.ts';
import { VENDOR_PROFILE_NAMES, type VendorProfile } from '../../protocol/vendors.ts';
import type { City } from '../../protocol/city.ts';

/**
 * The simulators encode VENDORS.md on their own; the edge decodes it on its own. This is the one
 * place both meet: every kind of message the simulators send must decode to exactly the canonical
 * events the simulator meant (type, severity, count, device time), per vendor profile.
 */
const city: City = generateCity({ compounds: 24, seed: 5 });
const ids = city.compounds.map((c) => c.id);
const startMs = Date.UTC(2026, 10, 29, 16, 0, 0);
const durationMs = 6 * 3600_000;
const plan = planScenarios({ city, compoundIds: ids, seed: 5, startMs, durationMs, scenarios: [...SCENARIO_NAMES, ...SCENARIO_NAMES].map((scenario) => ({ scenario })) });
const profileOf = new Map(city.compounds.flatMap((c) => c.devices.map((d) => [d.id, d.profile] as const)));

// Keep a few samples of every (profile, channel, event types, marker) shape.
const samples = new Map<string, TrafficItem[]>();
for (const item of generateTraffic({ city, compoundIds: ids, seed: 5, startMs, durationMs, plan, ratePerSecond: 3 })) {
  const profile = profileOf.get(item.device) ?? 'none';
  const key = `${profile}|${item.channel}|${item.intent.events.map((e) => e.type).join('+')}|${item.intent.marker ?? ''}`;
  const list = samples.get(key) ?? [];
  if (list.length < 3) list.push(item);
  samples.set(key, list);
}

function precisionMs(profile: VendorProfile, item: TrafficItem): number {
  if (item.channel === 'heartbeat' || item.channel === 'state') return 1000;
  return profile === 'anpr-json' || profile === 'hikcentral-parking' ? 1 : 1000;
}

describe('simulator encodings decode through the edge codecs', () => {
  it('covers every profile and every event type each profile can carry', () => {
    for (const profile of VENDOR_PROFILE_NAMES) {
      const seen = new Set([...samples.keys()].filter((k) => k.startsWith(`${profile}|events|`)).flatMap((k) => k.split('|')[2]!.split('+')));
      const missing = [...ENCODERS[profile].supports].filter((t) => !seen.has(t));
      // Very rare background types may not occur in a 6-hour sample; most must.
      expect(missing.length, `${profile} missing ${missing.join(',')}`).toBeLessThanOrEqual(3);
    }
  });

  for (const [key, items] of [...samples.entries()].sort()) {
    it(key, () => {
      for (const item of items) {
        const profile = profileOf.get(item.device) as VendorProfile;
        const payload = Buffer.isBuffer(item.payload) ? item.payload : Buffer.from(item.payload);
        const r = decode(profile, item.channel, payload, { device: item.device, kind: item.kind, timezone: '+08:00', receivedAt: item.t });
        if (!r.ok) throw new Error(`${r.code}: ${r.reason}\n${payload.toString().slice(0, 400)}`);
        expect(r.drafts.length).toBe(item.expectedEvents);
        expect(r.drafts.map((d) => d.type)).toEqual(item.intent.events.map((e) => e.type));
        if (item.channel === 'events') expect(r.drafts.map((d) => d.severity)).toEqual(item.intent.events.map((e) => e.severity));
        const p = precisionMs(profile, item);
        for (const d of r.drafts) {
          if (item.channel === 'state') continue; // state carries no time: the edge uses receivedAt
          expect(Math.abs(d.deviceTime - item.intent.deviceTime), `${payload.toString().slice(0, 300)}`).toBeLessThan(p);
        }
        // Personal identifiers survive decoding (the privacy stage hashes them later).
        item.intent.events.forEach((e, i) => {
          for (const k of ['card', 'plate'] as const) {
            const want = e.attributes[k];
            if (typeof want === 'string' && want !== '') expect(r.drafts[i]!.attributes[k], `${k} in ${payload.toString().slice(0, 300)}`).toBe(want);
          }
        });
      }
    });
  }
});

/** Attributes a real device would send with each type (cards, plates, zones…). */
const ATTRS: Partial<Record<EventType, Record<string, string | number>>> = {
  granted: { method: 'card', card: '3102837465', person: 'Zhang San', employee: 'C0001-00001', door: 1, direction: 'in' },
  denied: { method: 'card', card: '9000000001', reason: 'unknown-card', door: 1, direction: 'in' },
  duress: { method: 'card', card: '3102837465', person: 'Zhang San', employee: 'C0001-00001', door: 1 },
  'anti-passback': { card: '3102837465', door: 1, direction: 'in' },
  'door-held': { door: 1, durationS: 120 },
  'repeated-denied': { door: 1, count: 5 },
  'plate-read': { plate: '闽D12345', plateColor: 'blue', confidence: 0.93, direction: 'in', lane: 1 },
  'unknown-vehicle': { plate: '粤B8K2J1', plateColor: 'blue', confidence: 0.88, direction: 'in', lane: 1 },
  'blacklist-hit': { plate: '闽AUN8Q2', plateColor: 'blue', confidence: 0.95, direction: 'in', lane: 1 },
  'crowd-density': { region: 1, peopleCount: 14 },
};

describe('every type of every profile, built directly (rare ones included)', () => {
  const t0 = Date.UTC(2026, 10, 29, 0, 15, 2);
  for (const profile of VENDOR_PROFILE_NAMES) {
    const enc = ENCODERS[profile];
    const compound = city.compounds[0]!;
    const device = { id: `${compound.id}-probe`, kind: enc.kind, profile, zone: 2 };
    const check = (events: IntentEvent[]): void => {
      const intent: Intent = { kind: enc.kind, channel: 'events', time: t0, deviceTime: t0, events };
      const out = enc.encode(intent, { device, compound, seq: 7, tzOffsetMinutes: 480 });
      const payload = Buffer.from(out.payload);
      const r = decode(profile, 'events', payload, { device: device.id, kind: enc.kind, timezone: '+08:00', receivedAt: t0 });
      if (!r.ok) throw new Error(`${r.code}: ${r.reason}\n${payload.toString().slice(0, 400)}`);
      expect(r.drafts.map((d) => d.type)).toEqual(events.map((e) => e.type));
      expect(r.drafts.map((d) => d.severity)).toEqual(events.map((e) => e.severity));
      expect(out.expectedEvents).toBe(events.length);
      for (const d of r.drafts) expect(d.deviceTime).toBe(t0);
      events.forEach((e, i) => {
        for (const k of ['card', 'plate'] as const) if (e.attributes[k]) expect(r.drafts[i]!.attributes[k]).toBe(e.attributes[k]);
      });
    };
    for (const type of enc.supports) {
      it(`${profile} ${type}`, () => check([{ type, severity: enc.severity(type), attributes: { zone: 2, ...(ATTRS[type] ?? {}) } }]));
    }
    if (enc.multi) {
      it(`${profile} several events in one payload`, () => {
        const types = [...enc.supports].filter((t) => t !== 'heartbeat').slice(0, 3);
        check(types.map((type, i) => ({ type, severity: enc.severity(type), attributes: { zone: i + 1, ...(ATTRS[type] ?? {}) } })));
      });
    }
  }
});

describe('bad traffic fails to decode where it should', () => {
  for (const bad of ['malformed-json', 'wrong-types'] as const) {
    for (const c of city.compounds.slice(0, 8)) {
      it(`${bad} from ${c.id}`, () => {
        const r = planBad({ id: 'x', bad, compound: c, at: startMs, rng: new Rng(hashOf(c.id)) });
        for (const m of r.messages) {
          const profile = profileOf.get(m.device) as VendorProfile;
          const payload = Buffer.from(m.raw!.payload);
          const d = decode(profile, m.channel, payload, { device: m.device, kind: 'access', timezone: '+08:00', receivedAt: startMs });
          expect(d.ok, `${profile}: ${payload.toString().slice(0, 300)}`).toBe(false);
        }
      });
    }
  }
  it('knows every bad kind', () => expect(BAD_KINDS.length).toBe(7));
});

function hashOf(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}
