import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingest, type IngestContext } from '../../edge/pipeline/ingest.ts';
import { EdgeTimeStandIn } from '../../edge/pipeline/edge-time.ts';
import { createPrivacy } from '../../edge/pipeline/privacy.ts';
import { messageEventId } from '../../edge/pipeline/ids.ts';
import type { DeviceEntry } from '../../edge/auth/registry.ts';
import type { SiteDevice } from '../../protocol/site.ts';
import type { DeviceChannel } from '../../protocol/topics.ts';
import { ID_PATTERN } from '../../protocol/ids.ts';

/**
 * Event ids name the device's message (issue 12, "Resends dedupe"): the same message read twice,
 * by one edge start or the next, gives the same id; different messages give different ids.
 * Real codecs, real privacy stage: what the edge runs.
 */
const EVENT_ID = /^[A-Za-z0-9_.:-]{8,100}$/; // protocol/event.ts
let mints = 0;
const ctx = (edge = 'edge-1'): IngestContext => ({
  edge, timezone: '+08:00', maxPayloadBytes: 65_536, privacy: createPrivacy('secret-0123456789abcdef'),
  mintId: () => `${edge}.minted-${mints++}`, maxSkewMs: 900_000, standIn: new EdgeTimeStandIn(),
});
const entry = (profile: SiteDevice['profile'], kind: SiteDevice['kind'], id = 'c1-dev-01'): DeviceEntry => ({
  device: { id, compound: 'c1', kind, profile, passwordHash: 'x', heartbeatSeconds: 30 },
  district: 'd1', prefix: `ss/v1/dev/c1/${kind}/${id}/`, username: id,
});
function ids(c: IngestContext, e: DeviceEntry, payload: unknown, channel: DeviceChannel = 'events', receivedAt = 1_764_404_200_000): string[] {
  const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const r = ingest(c, e, channel, `${e.prefix}${channel}`, bytes, receivedAt);
  if (!r.ok) throw new Error(`${r.deadLetter.code}: ${r.deadLetter.reason}`);
  return r.events.map((ev) => ev.id);
}

const hik = (serialNo: number, activePostCount = 1, subEventType = 0x1b) => ({
  ipAddress: '10.20.1.17', channelID: 1, dateTime: '2026-11-29T08:15:02+08:00', activePostCount,
  eventType: 'AccessControllerEvent', eventState: 'active',
  AccessControllerEvent: { majorEventType: 5, subEventType, cardNo: '3102837465', name: 'Zhang San', doorNo: 1, serialNo },
});
const fence = (zone: number) => ({ host: 'PF-01', zone, event: 'alarm', voltage_kv: 7.8, armed: true, time: '2026-11-29 08:15:02' });

describe('event ids from the device message', () => {
  it('give a resend the same id, at another receive time and in another edge start', () => {
    const a = ids(ctx(), entry('gbt7946-fence', 'fence'), fence(3), 'events', 1_764_404_200_000);
    const b = ids(ctx(), entry('gbt7946-fence', 'fence'), fence(3), 'events', 1_764_404_260_000);
    expect(a).toEqual(b);
    expect(a[0]).toMatch(EVENT_ID);
    expect(ids(ctx(), entry('gbt7946-fence', 'fence'), fence(4))).not.toEqual(a);
  });

  it('use the vendor serial where the format has one: a Hikvision repost with other bytes is the same event', () => {
    const e = entry('hik-access', 'access');
    const first = ids(ctx(), e, hik(4512, 1));
    expect(ids(ctx(), e, hik(4512, 2))).toEqual(first); // activePostCount bumped on the repost
    expect(ids(ctx(), e, hik(4513, 1))).not.toEqual(first); // the next record
    // Another device with the same serial, or the same serial on another edge: other events.
    expect(ids(ctx(), entry('hik-access', 'access', 'c1-dev-02'), hik(4512))).not.toEqual(first);
    expect(ids(ctx('edge-2'), e, hik(4512))).not.toEqual(first);
  });

  it('keep several events of one message apart (HikCentral batch, Gallagher zones)', () => {
    const push = {
      method: 'OnEventNotify',
      params: { ability: 'event_pms', sendTime: '2026-11-29T08:15:02.300+08:00', events: [1, 2, 3].map((i) => ({
        eventId: `5b6c-${i}`, eventType: 771760131, srcIndex: 'lane-1', srcType: 'roadway', happenTime: '2026-11-29T08:15:02.000+08:00',
        data: { plateNo: '闽D12345', plateColor: 0, direction: 0, confidence: 93 },
      })) },
    };
    const e = entry('hikcentral-parking', 'barrier');
    const three = ids(ctx(), e, push);
    expect(new Set(three).size).toBe(3);
    // The same record resent alone, in another batch, keeps its id (the eventId names it).
    const alone = { ...push, params: { ...push.params, events: [push.params.events[1]] } };
    expect(ids(ctx(), e, alone)).toEqual([three[1]]);

    const gallagher = { ControllerId: 'G-7700', Timestamp: '2026-11-29T00:15:02Z', System: 'Alarm', BatteryPct: 97, SignalPct: 81,
      Zones: [1, 2].map((z) => ({ Zone: z, VoltageKv: 0.3, CurrentA: 0, EarthKv: 0.1, Alarms: ['ZoneVoltageLow'] })) };
    expect(new Set(ids(ctx(), entry('gallagher-energiser', 'fence'), gallagher)).size).toBe(2);
  });

  it('name heartbeats by their bytes; state messages, which carry no time, by the receive time', () => {
    const e = entry('gbt7946-fence', 'fence');
    const hb = { ts: 1_764_404_100_000, uptimeS: 5 };
    expect(ids(ctx(), e, hb, 'heartbeat', 1_764_404_100_500)).toEqual(ids(ctx(), e, hb, 'heartbeat', 1_764_404_160_000));
    expect(ids(ctx(), e, { ...hb, ts: hb.ts + 1 }, 'heartbeat')).not.toEqual(ids(ctx(), e, hb, 'heartbeat'));
    expect(ids(ctx(), e, 'online', 'state', 1_764_404_100_000)).not.toEqual(ids(ctx(), e, 'online', 'state', 1_764_404_100_001));
  });

  it('stay inside the Event v1 id pattern and the id rules for the longest edge and device ids', () => {
    const edge = 'e'.repeat(64);
    const id = messageEventId(edge, 'd'.repeat(64), undefined, { type: 'fence-alarm', deviceTime: 0, attributes: {} }, Buffer.from('x\n,= '), 0);
    expect(id).toMatch(EVENT_ID);
    expect(id.length).toBe(87);
    // The part after the edge id is itself a safe id (no '/', '+', '#', spaces, commas, '=').
    expect(id.slice(65)).toMatch(new RegExp(ID_PATTERN));
  });

  it('are the digests earlier builds made (resends keep their ids across an upgrade)', () => {
    // Pinned from the build before issue 14 (createHash().update(head).update(payload)).
    const t = 1_764_404_102_000;
    expect(messageEventId('edge-1', 'c1-fence-01', undefined, { type: 'fence-alarm', deviceTime: t, attributes: {} }, Buffer.from('{"zone":3,"event":"alarm","名":"é"}'), 2)).toBe('edge-1.aeoLCP9RLdP2OIdejznPCt');
    expect(messageEventId('edge-1', 'c1-dev-01', '4711', { type: 'granted', deviceTime: t, attributes: {} }, Buffer.from('ignored'), 5)).toBe('edge-1.qjJxUbPAQEtCcpwBqWHdHo');
    expect(messageEventId('edge-1', 'c1-dev-01', '序列-9', { type: 'granted', deviceTime: t, attributes: {} }, Buffer.alloc(0), 0)).toBe('edge-1.7NqspiYlJ5ZfeRywGTMAhS');
    // And for any input: the old two-part digest.
    const before = (edge: string, dev: string, serial: string | undefined, type: string, time: number, payload: Buffer, index: number): string => {
      const h = createHash('sha256');
      if (serial !== undefined) h.update(`v1\0s\0${dev}\0${time}\0${type}\0${serial}`);
      else {
        h.update(`v1\0p\0${dev}\0${time}\0${type}\0${index}\0`);
        h.update(payload);
      }
      return `${edge}.${h.digest('base64url').slice(0, 22)}`;
    };
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }), fc.string(), fc.integer(), fc.uint8Array({ maxLength: 300 }), fc.nat(40), (dev, serial, type, time, bytes, index) => {
        const payload = Buffer.from(bytes);
        expect(messageEventId('e1', dev, serial, { type, deviceTime: time, attributes: {} }, payload, index)).toBe(before('e1', dev, serial, type, time, payload, index));
      }),
      { numRuns: 500 },
    );
  });
});
