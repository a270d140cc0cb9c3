import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { FrameScanner } from '../../edge/broker/guard.ts';
import type { SiteDevice } from '../../protocol/site.ts';
import { PASSWORD, connectDevice, deadLetters, device, publish, siteConfig, startHubStandIn, tempDir, topicOf, until, type HubStandIn } from './helpers.ts';

/**
 * Issue 12, poison message: a device's 70 kB publish used to close its connection without a
 * dead letter; the device resent it on every reconnect and none of the 5 forced-door events
 * queued behind it got through. Now it is read through, acknowledged and dead-lettered.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const door = device('a1', { kind: 'access', profile: 'hik-access' });

/** A Hikvision door-forced event at the edge's own time (no clock skew). */
const doorForced = (serial: number): string =>
  JSON.stringify({
    ipAddress: '10.20.1.17', channelID: 1, dateTime: new Date().toISOString(), activePostCount: 1,
    eventType: 'AccessControllerEvent', eventState: 'active',
    AccessControllerEvent: { deviceName: 'East gate', majorEventType: 5, subEventType: 27, doorNo: 1, serialNo: serial },
  });

async function setup(devices: SiteDevice[] = [door]): Promise<{ edge: Edge; hub: HubStandIn }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const hub = await startHubStandIn();
  cleanups.push(() => hub.close());
  // The kit's payload limit: 64 KiB.
  const edge = await startEdge(siteConfig(t.dir, hub.url, devices, {
    broker: { host: '127.0.0.1', port: 0, maxPayloadBytes: 65_536, maxMessagesPerDevicePerSecond: 10_000, maxConnections: 100, hardMaxPacketBytes: 1_048_576 },
  }));
  cleanups.push(() => edge.close());
  return { edge, hub };
}

describe('poison messages', () => {
  it('acknowledges and dead-letters a 70 kB publish; the 5 forced-door events behind it all arrive', async () => {
    const { edge, hub } = await setup();
    const c = await connectDevice(edge.brokerUrl, { clientId: 'a1', username: 'a1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    let closes = 0;
    c.on('close', () => closes++);
    const poison = JSON.stringify({ eventType: 'AccessControllerEvent', cardNo: '3102837465', blob: 'x'.repeat(70_000) });
    // Sent back to back, as a device's queue would: nothing waits for the poison's PUBACK first.
    const sent = [publish(c, topicOf(door), poison), ...Array.from({ length: 5 }, (_, i) => publish(c, topicOf(door), doorForced(100 + i)))];
    await Promise.all(sent);
    await edge.drain(10_000);
    await until(() => hub.events.length >= 5);
    expect(hub.events.map((e) => e['type'])).toEqual(Array(5).fill('door-forced'));
    expect(c.connected).toBe(true);
    expect(closes).toBe(0);
    const dl = (await deadLetters(edge.apiUrl)) as { code: string; size: number; reason: string }[];
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ code: 'SS_PAYLOAD_TOO_LARGE', size: Buffer.byteLength(poison) });
    expect(dl[0]!.reason).toContain(`${Buffer.byteLength(poison)} bytes`);
    // The kept prefix shows the structure, not the card number.
    const preview = (dl[0] as unknown as { payloadMasked: string }).payloadMasked;
    expect(preview.startsWith('{"eventType":"xxxxxxxxxxxxxxxxxxxxx","cardNo":"0000000000","blob":"xxx')).toBe(true);
    expect(preview).not.toContain('3102837465');
    expect(edge.stats()).toMatchObject({ accepted: 6, events: 5, deadLettered: 1 });
  });

  it('closes with SS_GUARD_PACKET_SIZE only above the hard cap', async () => {
    const { edge } = await setup();
    const c = await connectDevice(edge.brokerUrl, { clientId: 'a1', username: 'a1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(topicOf(door), Buffer.alloc(1_100_000, 0x41), { qos: 1 });
    await closed;
    const metrics = await (await fetch(`${edge.apiUrl}/metrics`)).text();
    expect(metrics).toContain('safestar_edge_refused_total{code="SS_GUARD_PACKET_SIZE"} 1');
    const dev = (await (await fetch(`${edge.apiUrl}/devices/a1`)).json()) as { lastError: { code: string } | null };
    expect(dev.lastError?.code).toBe('SS_GUARD_PACKET_SIZE');
    expect(edge.stats().accepted).toBe(0);
  });

  it('reads an oversized publish through in 1-byte chunks from a raw socket, QoS 1 PUBACK with its packet id', async () => {
    const { edge } = await setup();
    const u = new URL(edge.brokerUrl);
    const sock = tcpConnect(Number(u.port), u.hostname);
    cleanups.push(() => void sock.destroy());
    const got: Buffer[] = [];
    sock.on('data', (b: Buffer) => got.push(b));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const s = (v: string): Buffer => Buffer.concat([Buffer.from([v.length >> 8, v.length & 0xff]), Buffer.from(v)]);
    const conn = Buffer.concat([s('MQTT'), Buffer.from([4, 0xc2, 0, 30]), s('a1'), s('a1'), s(PASSWORD)]);
    sock.write(Buffer.concat([Buffer.from([0x10, conn.length]), conn]));
    await until(() => Buffer.concat(got).length >= 4, 5000, 'CONNACK');
    const body = Buffer.concat([s(topicOf(door)), Buffer.from([0x12, 0x34]), Buffer.alloc(70_000, 0x42)]);
    const len = body.length;
    const pkt = Buffer.concat([Buffer.from([0x32, (len & 0x7f) | 0x80, ((len >> 7) & 0x7f) | 0x80, len >> 14]), body]);
    // The header split over several writes, the body in large pieces.
    for (let i = 0; i < 6; i++) sock.write(pkt.subarray(i, i + 1));
    sock.write(pkt.subarray(6));
    await until(() => Buffer.concat(got).length >= 8, 10_000, 'PUBACK');
    expect([...Buffer.concat(got).subarray(4, 8)]).toEqual([0x40, 0x02, 0x12, 0x34]);
    const dl = (await deadLetters(edge.apiUrl)) as { size: number }[];
    expect(dl[0]?.size).toBe(70_000);
  });
});

describe('frame scanner (pure)', () => {
  it('replaces an oversized PUBLISH with a stand-in and passes the packets around it unchanged', () => {
    const out: Buffer[] = [];
    const sizes: number[] = [];
    const sc = new FrameScanner({
      maxPacketBytes: 100, hardMaxPacketBytes: 10_000, prefixBytes: 8, emit: (b) => out.push(Buffer.from(b)),
      onOversized: (p) => {
        sizes.push(p.payloadBytes);
        return Buffer.from(`STAND:${p.topic.toString()}:${p.packetId}:${p.prefix.toString()}`);
      },
    });
    const s = (v: string): Buffer => Buffer.concat([Buffer.from([v.length >> 8, v.length & 0xff]), Buffer.from(v)]);
    const small = Buffer.from([0xc0, 0x00]);
    const bigBody = Buffer.concat([s('t/x'), Buffer.from([0, 7]), Buffer.from('abcdefgh'), Buffer.alloc(500, 0x7a)]);
    const big = Buffer.concat([Buffer.from([0x32, (bigBody.length & 0x7f) | 0x80, bigBody.length >> 7]), bigBody]);
    const stream = Buffer.concat([small, big, small]);
    for (let i = 0; i < stream.length; i += 3) expect(sc.feed(stream.subarray(i, i + 3))).toBeUndefined();
    const all = Buffer.concat(out).toString('latin1');
    expect(all).toBe(`\u00c0\u0000STAND:t/x:7:abcdefgh\u00c0\u0000`);
    expect(sizes).toEqual([508]);
    expect(new FrameScanner({ maxPacketBytes: 100, hardMaxPacketBytes: 200 }).feed(big)).toMatch(/> 200/);
    // Only PUBLISH is read through: an oversized SUBSCRIBE closes.
    expect(new FrameScanner({ maxPacketBytes: 100, hardMaxPacketBytes: 10_000 }).feed(Buffer.concat([Buffer.from([0x82, 0x90, 0x03]), Buffer.alloc(10)]))).toMatch(/> 100/);
  });
});
