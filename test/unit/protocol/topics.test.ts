import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deviceTopic, devicePrefix, edgeTopic, parseTopic, DEVICE_CHANNELS } from '../../../protocol/topics.ts';
import { DEVICE_KINDS } from '../../../protocol/devices.ts';

const safeId = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/);

describe('topic grammar', () => {
  it('round-trips every device topic', () => {
    fc.assert(
      fc.property(safeId, fc.constantFrom(...DEVICE_KINDS), safeId, fc.constantFrom(...DEVICE_CHANNELS), (c, k, d, ch) => {
        const t = deviceTopic(c, k, d, ch);
        expect(t.startsWith(devicePrefix(c, k, d))).toBe(true);
        expect(parseTopic(t)).toEqual({ ok: true, topic: { scope: 'device', compound: c, kind: k, device: d, channel: ch } });
      }),
    );
  });

  it('round-trips edge topics', () => {
    fc.assert(
      fc.property(safeId, fc.constantFrom('events', 'state' as const), (e, ch) => {
        expect(parseTopic(edgeTopic(e, ch))).toEqual({ ok: true, topic: { scope: 'edge', edge: e, channel: ch } });
      }),
    );
  });

  it('refuses to build a topic from an unsafe id', () => {
    expect(() => deviceTopic('c/1', 'access', 'd1', 'events')).toThrow(/SS_TOPIC_ID/);
    expect(() => edgeTopic('e#', 'events')).toThrow(/SS_TOPIC_ID/);
    expect(() => devicePrefix('c1', 'access', '')).toThrow(/SS_TOPIC_ID/);
  });

  it.each([
    ['other root', 'foo/v1/dev/c1/access/d1/events', "must start with 'ss/v1/'"],
    ['too short', 'ss/v1', "must start with 'ss/v1/'"],
    ['unknown scope', 'ss/v1/cmd/x', 'unknown topic scope'],
    ['missing level', 'ss/v1/dev/c1/access/events', 'device topic must be'],
    ['extra level', 'ss/v1/dev/c1/access/d1/events/x', 'device topic must be'],
    ['unknown kind', 'ss/v1/dev/c1/drone/d1/events', "unknown device kind 'drone'"],
    ['unknown channel', 'ss/v1/dev/c1/access/d1/cmd', "unknown device channel 'cmd'"],
    ['empty compound', 'ss/v1/dev//access/d1/events', 'bad compound id'],
    ['wildcard device', 'ss/v1/dev/c1/access/+/events', 'bad device id'],
    ['bad edge channel', 'ss/v1/edge/e1/heartbeat', "unknown edge channel 'heartbeat'"],
    ['edge extra level', 'ss/v1/edge/e1/events/x', 'edge topic must be'],
  ])('refuses %s with a reason', (_n, topic, reason) => {
    const r = parseTopic(topic);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});
