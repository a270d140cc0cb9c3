import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { benchSite } from '../../../bench/suites/fixtures.ts';
import { DeviceRegistry } from '../../../edge/auth/registry.ts';
import { validateSiteConfig } from '../../../edge/config.ts';
import { ingest, type IngestContext } from '../../../edge/pipeline/ingest.ts';
import { EdgeTimeStandIn } from '../../../edge/pipeline/edge-time.ts';
import { createPrivacy } from '../../../edge/pipeline/privacy.ts';
import { EVENT_TYPES_BY_KIND, DEVICE_KINDS, SEVERITIES } from '../../../protocol/devices.ts';
import { surelyEventShape } from '../../../protocol/event-accept.ts';
import { EventSchema, type Event } from '../../../protocol/event.ts';

/**
 * The fast accept in front of the TypeBox check (issue 14) may only ever say yes to what the
 * schema says yes to; it may say no to more (those go to TypeBox). And it must say yes to what
 * the edge really builds, or it buys nothing.
 */
const schemaCheck = Compile(EventSchema);

const T = Date.UTC(2026, 10, 29, 8, 0, 0);
const valid = (kind: (typeof DEVICE_KINDS)[number], type: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  v: 1, id: 'edge-1.lq2x3k.0001', deviceTime: T, receivedAt: T + 120, district: 'siming', compound: 'c0001', edge: 'edge-1',
  device: 'c0001-acc-01', kind, type, severity: 'info', attributes: { cardHash: 'ab12', method: 'card', door: 1 }, ...over,
});

const KEYS = ['v', 'id', 'deviceTime', 'receivedAt', 'district', 'compound', 'edge', 'device', 'kind', 'type', 'severity', 'attributes',
  'clockSuspect', 'deviceTimeReported', 'clockSkewMs', 'backfilled', 'score', 'extra', '__proto__', 'constructor'];
const edgy = fc.oneof(
  fc.anything(),
  fc.constantFrom(1, 0, -1, 1.5, NaN, Infinity, T, 946_684_799_999, 4_102_444_800_001, 'x', '', 'edge-1', 'a b', 'é'.repeat(257), true, null, undefined, [], {}),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.integer(),
  fc.double(),
);
const attrKey = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_]{1,40}$/) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 45 }), fc.constantFrom('a-b', '', 'x'.repeat(41), '__proto__', 'a\n')) },
);
const attrValue = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true })) },
  { weight: 2, arbitrary: fc.oneof(fc.string({ minLength: 250, maxLength: 260 }), fc.string({ unit: 'grapheme', minLength: 250, maxLength: 260 }), fc.constantFrom('é'.repeat(257), '😀'.repeat(200), '😀'.repeat(129))) },
  { weight: 1, arbitrary: edgy },
);
const attrs = fc.oneof(
  fc.dictionary(attrKey, attrValue, { maxKeys: 36 }),
  fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_]{1,40}$/), fc.integer(), { minKeys: 30, maxKeys: 36 }),
);
const score = fc.oneof(
  fc.record({ value: edgy, threshold: edgy, model: edgy, anomalous: edgy }, { requiredKeys: [] }),
  fc.record({ value: fc.double(), threshold: fc.double(), model: fc.string({ maxLength: 70 }), anomalous: fc.boolean() }),
  fc.record({ value: fc.double(), threshold: fc.double(), model: fc.string({ maxLength: 70 }), anomalous: fc.boolean(), more: edgy }),
  edgy,
);
type Mutation = (e: Record<string, unknown>) => void;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), edgy).map(([k, v]): Mutation => (e) => { e[k] = v; }),
  fc.constantFrom(...KEYS).map((k): Mutation => (e) => { delete e[k]; }),
  attrs.map((a): Mutation => (e) => { e['attributes'] = a; }),
  score.map((s): Mutation => (e) => { e['score'] = s; }),
  fc.constantFrom(...KEYS).map((k): Mutation => (e) => { Object.defineProperty(e, k, { value: e[k], enumerable: false, writable: true, configurable: true }); }),
  fc.constant<Mutation>((e) => { Object.setPrototypeOf(e, { v: 1 }); }),
  fc.constant<Mutation>((e) => { delete e['v']; Object.setPrototypeOf(e, { v: 1 }); }),
);
const pair = fc.constantFrom(...DEVICE_KINDS.flatMap((k) => EVENT_TYPES_BY_KIND[k].map((t) => [k, t] as const)));

describe('Event v1 fast accept', () => {
  it('accepts only what the compiled schema accepts, whatever the value', () => {
    fc.assert(
      fc.property(pair, fc.constantFrom(...SEVERITIES), fc.array(mutation, { maxLength: 4 }), ([kind, type], severity, muts) => {
        const e = valid(kind, type, { severity });
        for (const m of muts) m(e);
        if (surelyEventShape(e)) expect(schemaCheck.Check(e)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    for (const x of [null, undefined, 1, 'x', [], [valid('access', 'granted')], new Map()]) expect(surelyEventShape(x)).toBe(false);
  });

  it('accepts the events the edge builds from the benchmark\'s vendor traffic, and valid optional fields', () => {
    const site = benchSite({ devices: 100, edgeId: 'edge-ab', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
    const cfg = validateSiteConfig(site.config);
    const reg = new DeviceRegistry(cfg);
    const ctx: IngestContext = { edge: 'edge-ab', timezone: cfg.timezone, maxPayloadBytes: 65_536, mintId: () => 'edge-ab.minted', privacy: createPrivacy('k'.repeat(32)), maxSkewMs: 900_000, standIn: new EdgeTimeStandIn() };
    const profiles = new Set<string>();
    let n = 0;
    for (const c of site.clients) {
      const entry = reg.get(c.clientId);
      if (!entry) continue;
      for (const p of c.payloads) {
        const r = ingest(ctx, entry, 'events', c.topic, Buffer.from(p), T + 60_000);
        if (!r.ok) continue;
        for (const e of r.events) {
          expect(surelyEventShape(e), JSON.stringify(e)).toBe(true);
          n++;
        }
        profiles.add(entry.device.profile);
      }
    }
    expect(n).toBeGreaterThan(1000);
    expect(profiles.size).toBeGreaterThanOrEqual(5);
    const full: Partial<Event> = { clockSuspect: true, deviceTimeReported: 0, clockSkewMs: -5, backfilled: false, score: { value: 0.2, threshold: 0.9, model: 'kt-2.3.0', anomalous: false } };
    expect(surelyEventShape(valid('fence', 'fence-alarm', full))).toBe(true);
    expect(surelyEventShape(JSON.parse(JSON.stringify(valid('camera', 'motion', { attributes: { note: '闽D1***5', x: 1.5, ok: true } }))))).toBe(true);
  });
});
