import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { checkConnect } from '../../edge/broker/connect-check.ts';
import { PASSWORD, device, siteConfig, startHubStandIn, tempDir, topicOf, until, type HubStandIn } from './helpers.ts';
import { str, varint } from './raw-mqtt.ts';

/**
 * Issue 12: closes decided inside aedes (bad packets after CONNECT, topic levels, the QoS 2
 * window) had no code, counter or device lastError; two spec cases got an answer instead of a
 * close. Each case here: a raw socket logs in as device f1, sends one offending packet, and the
 * edge must close it, count the code in /metrics and show it as f1's lastError.
 */
let edge: Edge;
let hub: HubStandIn;
let cleanup: () => void;
beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  hub = await startHubStandIn();
  edge = await startEdge(siteConfig(t.dir, hub.url, [device('f1')]), { connectTimeoutMs: 2000 });
});
afterAll(async () => {
  await edge.close();
  await hub.close();
  cleanup();
});

const packet = (first: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([first]), varint(body.length), body]);
};
const CONNECT = packet(0x10, str('MQTT'), Buffer.from([4, 0xc2, 0, 30]), str('f1'), str('f1'), str(PASSWORD));

/** Log in as f1 on a raw socket; resolves once CONNACK 0 is in. */
async function loggedIn(): Promise<{ sock: Socket; closed: Promise<void>; received: () => Buffer }> {
  const u = new URL(edge.brokerUrl);
  const chunks: Buffer[] = [];
  const sock = tcpConnect(Number(u.port), u.hostname);
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.on('data', (b: Buffer) => chunks.push(b));
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(CONNECT);
  await until(() => Buffer.concat(chunks).length >= 4, 5000, 'CONNACK');
  expect([...Buffer.concat(chunks).subarray(0, 4)]).toEqual([0x20, 0x02, 0x00, 0x00]);
  return { sock, closed, received: () => Buffer.concat(chunks) };
}

const seen = new Map<string, number>();
async function expectClosedWith(code: string, send: (sock: Socket) => void): Promise<void> {
  const r = await loggedIn();
  send(r.sock);
  await r.closed;
  seen.set(code, (seen.get(code) ?? 0) + 1);
  await until(async () => (await (await fetch(`${edge.apiUrl}/metrics`)).text()).includes(`safestar_edge_refused_total{code="${code}"} ${seen.get(code)}`), 3000, `counter ${code}`);
  const dev = (await (await fetch(`${edge.apiUrl}/devices/f1`)).json()) as { lastError: { code: string; reason: string } | null };
  expect(dev.lastError?.code).toBe(code);
}

describe('every close has a code, a counter and the device lastError', () => {
  it('a reserved packet type (0 and 15)', async () => {
    await expectClosedWith('SS_BROKER_PROTOCOL', (s) => s.write(Buffer.from([0x00, 0x00])));
    await expectClosedWith('SS_BROKER_PROTOCOL', (s) => s.write(Buffer.from([0xf0, 0x00])));
  });

  it('PUBREL with wrong fixed-header flags', async () => {
    await expectClosedWith('SS_BROKER_PROTOCOL', (s) => s.write(Buffer.from([0x60, 0x02, 0x00, 0x01])));
  });

  it('a second CONNECT', async () => {
    await expectClosedWith('SS_BROKER_PROTOCOL', (s) => s.write(CONNECT));
  });

  it('SUBSCRIBE with no topic, and UNSUBSCRIBE with no topic [MQTT-3.10.3-2]', async () => {
    await expectClosedWith('SS_BROKER_PROTOCOL', (s) => s.write(Buffer.from([0x82, 0x02, 0x00, 0x01])));
    await expectClosedWith('SS_BROKER_PROTOCOL', (s) => s.write(Buffer.from([0xa2, 0x02, 0x00, 0x01])));
    const dev = (await (await fetch(`${edge.apiUrl}/devices/f1`)).json()) as { lastError: { reason: string } };
    expect(dev.lastError.reason).toContain('MQTT-3.10.3-2');
  });

  it('SUBSCRIBE with an invalid UTF-8 filter closes instead of SUBACK 0x80 [MQTT-1.5.3-1]', async () => {
    const bad = Buffer.concat([Buffer.from(topicOf(device('f1')).replace(/events$/, '')), Buffer.from([0xc3, 0x28])]);
    await expectClosedWith('SS_BROKER_UTF8', (s) => s.write(packet(0x82, Buffer.from([0x00, 0x01]), str(bad), Buffer.from([0x01]))));
  });

  it('a topic with more than 100 levels', async () => {
    await expectClosedWith('SS_BROKER_TOPIC_LEVELS', (s) => s.write(packet(0x30, str(`${topicOf(device('f1'))}${'/x'.repeat(100)}`), Buffer.from('{}'))));
  });

  it('more than 1,000 unreleased QoS 2 messages', async () => {
    const hb = Buffer.from('{"ts":1}');
    await expectClosedWith('SS_BROKER_QOS2_INFLIGHT', (s) => {
      const topic = str(topicOf(device('f1'), 'heartbeat'));
      for (let id = 1; id <= 1001; id++) s.write(packet(0x34, topic, Buffer.from([id >> 8, id & 0xff]), hb));
    });
  });

  it('an empty client id over MQTT 3.1 is refused (CONNACK 2)', () => {
    const v31 = packet(0x10, str('MQIsdp'), Buffer.from([3, 0x02, 0, 30]), str(''));
    expect(checkConnect(v31)).toMatchObject({ ok: false, returnCode: 2 });
    expect(checkConnect(packet(0x10, str('MQIsdp'), Buffer.from([3, 0x02, 0, 30]), str('f1')))).toMatchObject({ ok: true });
  });
});
