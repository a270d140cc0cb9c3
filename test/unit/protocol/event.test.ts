import { describe, expect, it } from 'vitest';
import { checkEvent, checkEventBatch, type Event } from '../../../protocol/event.ts';
import { ALL_EVENT_TYPES, DEVICE_KINDS, EVENT_TYPES_BY_KIND, COMMON_EVENT_TYPES, severityFromGbPriority } from '../../../protocol/devices.ts';

function sample(over: Partial<Event> = {}): Event {
  return {
    v: 1,
    id: 'edge-1.lq2x3k.0001',
    deviceTime: Date.UTC(2026, 10, 29, 8, 0, 0),
    receivedAt: Date.UTC(2026, 10, 29, 8, 0, 0, 120),
    district: 'siming',
    compound: 'c0001',
    edge: 'edge-1',
    device: 'c0001-acc-01',
    kind: 'access',
    type: 'granted',
    severity: 'info',
    attributes: { cardHash: 'ab12', method: 'card', door: 1 },
    ...over,
  };
}

describe('Event v1 schema', () => {
  it('accepts a complete event, with and without the optional score and backfilled flag', () => {
    expect(checkEvent(sample()).ok).toBe(true);
    expect(checkEvent(sample({ backfilled: true, score: { value: 0.7, threshold: 0.5, model: 'ae-1', anomalous: true } })).ok).toBe(true);
  });

  it('accepts every event type of every kind, and the common ones', () => {
    for (const kind of DEVICE_KINDS) {
      for (const type of [...EVENT_TYPES_BY_KIND[kind], ...COMMON_EVENT_TYPES]) {
        expect(checkEvent(sample({ kind, type })), `${kind}/${type}`).toMatchObject({ ok: true });
      }
    }
    expect(ALL_EVENT_TYPES.length).toBe(new Set(ALL_EVENT_TYPES).size);
  });

  it('refuses an event type that belongs to another kind, and says which', () => {
    const r = checkEvent(sample({ kind: 'fence', type: 'granted' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.message).toContain("not an event type of kind 'fence'");
  });

  it.each([
    ['unknown version', { v: 2 }],
    ['unknown kind', { kind: 'drone' }],
    ['unknown type', { type: 'exploded' }],
    ['unknown severity', { severity: 'apocalyptic' }],
    ['time in seconds, not ms', { deviceTime: 1_764_403_200 }],
    ['fractional ms', { receivedAt: 1_764_403_200_000.5 }],
    ['newline in a tag id', { compound: 'c1\nevil' }],
    ['comma in a tag id', { device: 'a,b' }],
    ['topic wildcard in an id', { edge: 'e+1' }],
    ['id too long', { district: 'x'.repeat(65) }],
    ['short event id', { id: 'abc' }],
    ['nested attribute', { attributes: { a: { b: 1 } } }],
    ['oversized attribute string', { attributes: { a: 'x'.repeat(257) } }],
    ['bad attribute name', { attributes: { 'a b': 1 } }],
  ])('refuses %s', (_name, over) => {
    const r = checkEvent({ ...sample(), ...(over as object) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.length).toBeGreaterThan(0);
  });

  it('refuses unknown top-level properties and missing required ones', () => {
    expect(checkEvent({ ...sample(), extra: 1 }).ok).toBe(false);
    const { device: _d, ...missing } = sample();
    const r = checkEvent(missing);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(JSON.stringify(r.problems)).toContain('device');
  });

  it('refuses non-objects without throwing', () => {
    for (const v of [null, undefined, 42, 'x', [], true]) expect(checkEvent(v).ok).toBe(false);
  });

  it('maps GB/T 28181 alarm priority 1 (highest) … 4 to words', () => {
    expect([1, 2, 3, 4, 9].map(severityFromGbPriority)).toEqual(['critical', 'major', 'minor', 'warning', 'info']);
  });
});

describe('EventBatch envelope', () => {
  it('accepts a batch and leaves event checking to the receiver', () => {
    expect(checkEventBatch({ v: 1, edge: 'edge-1', events: [sample(), { junk: true }] }).ok).toBe(true);
  });
  it('refuses a batch over the size limit or from a malformed edge id', () => {
    expect(checkEventBatch({ v: 1, edge: 'edge-1', events: new Array(1001).fill(0) }).ok).toBe(false);
    expect(checkEventBatch({ v: 1, edge: 'edge/1', events: [] }).ok).toBe(false);
  });
});
