import { Aedes } from 'aedes';
import Database from 'better-sqlite3';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkEvent } from '../../protocol/event.ts';
import { freePort } from '../../common/ports.ts';
import { startEdge, type Edge } from '../../edge/edge.ts';
import {
  PASSWORD, connectDevice, deadLetters, device, fenceAlarm, fenceCut, publish, siteConfig, startHubStandIn, tempDir, topicOf, until,
  type HubStandIn,
} from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(devices = [device('f1'), device('f2')], over = {}): Promise<{ edge: Edge; hub: HubStandIn; dir: string }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const hub = await startHubStandIn();
  cleanups.push(() => hub.close());
  const edge = await startEdge(siteConfig(t.dir, hub.url, devices, over), { uplinkReconnectMs: 100 });
  cleanups.push(() => edge.close());
  return { edge, hub, dir: t.dir };
}

describe('edge walking skeleton', () => {
  it('forwards K events from several devices to the hub, each once, valid and privacy-scrubbed', async () => {
    const devs = [device('f1'), device('b1', { kind: 'barrier', profile: 'anpr-json' })];
    const { edge, hub } = await setup(devs);
    const f1 = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    const b1 = await connectDevice(edge.brokerUrl, { clientId: 'b1', username: 'b1', password: PASSWORD });
    cleanups.push(() => void f1.end(true), () => void b1.end(true));
    const K = 300;
    const plate = JSON.stringify({
      msg_type: 'plate', event_time: '2026-11-29T00:15:02.120Z', registration_plate: '闽D12345', confidence: 0.93, verdict: 'allowed',
    });
    await Promise.all([
      ...Array.from({ length: K }, (_, i) => publish(f1, topicOf(devs[0]!), fenceAlarm(i))),
      publish(b1, topicOf(devs[1]!), plate),
    ]);
    await edge.drain(10_000);
    await until(() => hub.events.length >= K + 1, 5000, 'hub events');
    expect(hub.events).toHaveLength(K + 1);
    expect(new Set(hub.ids()).size).toBe(K + 1);
    for (const e of hub.events) expect(checkEvent(e).ok).toBe(true);
    const p = hub.events.find((e) => e['device'] === 'b1') as { attributes: Record<string, unknown>; district: string };
    expect(p.attributes['plate']).toMatch(/^[0-9a-f]{32}$/);
    expect(p.attributes['plateMasked']).toBe('闽D1***5');
    expect(JSON.stringify(hub.events)).not.toContain('闽D12345');
    expect(p.district).toBe('d1');
    const s = edge.stats();
    expect(s).toMatchObject({ accepted: K + 1, events: K + 1, deadLettered: 0, forwarded: K + 1, outboxDepth: 0 });
    const dev = (await (await fetch(`${edge.apiUrl}/devices/f1`)).json()) as { online: boolean; counters: { events: number }; lastEvent: { type: string } };
    expect(dev.online).toBe(true);
    expect(dev.counters.events).toBe(K);
    expect(dev.lastEvent.type).toBe('fence-alarm');
  });

  it('sends the PUBACK only after the event is a committed outbox row', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    // Hub unreachable: rows stay in the outbox, so we can look for them.
    const deadHub = `mqtt://127.0.0.1:${await freePort()}`;
    const d = device('f1');
    const edge = await startEdge(siteConfig(t.dir, deadHub, [d]), { uplinkReconnectMs: 60_000 });
    cleanups.push(() => edge.close());
    const c = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    // A second, independent connection to the file sees only committed transactions.
    const reader = new Database(join(t.dir, 'outbox.sqlite'), { readonly: true });
    cleanups.push(() => void reader.close());
    const count = reader.prepare('SELECT COUNT(*) AS n FROM outbox');
    for (let i = 0; i < 20; i++) {
      await publish(c, topicOf(d), fenceAlarm(i));
      expect((count.get() as { n: number }).n).toBe(i + 1);
    }
    expect(edge.stats().outboxDepth).toBe(20);
  });

  it('dead-letters a malformed payload (PUBACK, record on disk, counter), and keeps the rest flowing', async () => {
    const { edge, hub } = await setup();
    const d = device('f1');
    const c = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    await publish(c, topicOf(d), fenceAlarm(1));
    await publish(c, topicOf(d), '{"host":"PF-01","zone":3,"event":');
    await publish(c, topicOf(d), JSON.stringify({ host: 'PF-01', zone: 'three', event: 'alarm', time: '2026-11-29 08:15:02' }));
    await publish(c, topicOf(d), fenceCut());
    expect(c.connected).toBe(true);
    await edge.drain(5000);
    await until(() => hub.events.length >= 2);
    expect(hub.events.map((e) => e['type']).sort()).toEqual(['fence-alarm', 'wire-cut']);
    expect(edge.stats()).toMatchObject({ accepted: 4, events: 2, deadLettered: 2 });
    const dl = (await deadLetters(edge.apiUrl)) as { code: string; device: string; topic: string; payloadMasked: string }[];
    expect(dl.map((x) => x.code)).toEqual(['SS_CODEC_SHAPE', 'SS_CODEC_JSON']);
    expect(dl[1]).toMatchObject({ device: 'f1', topic: topicOf(d), size: Buffer.byteLength('{"host":"PF-01","zone":3,"event":') });
    // Structure readable, values masked (issue 12: no personal data in dead letters).
    expect(dl[1]!.payloadMasked).toBe('{"host":"xx-00","zone":0,"event":');
    const dev = (await (await fetch(`${edge.apiUrl}/devices/f1`)).json()) as { lastError: { code: string }; counters: { deadLettered: number } };
    expect(dev.lastError.code).toBe('SS_CODEC_SHAPE');
    expect(dev.counters.deadLettered).toBe(2);
    const metrics = await (await fetch(`${edge.apiUrl}/metrics`)).text();
    expect(metrics).toContain('safestar_edge_deadletters_total{code="SS_CODEC_JSON"} 1');
  });

  it('refuses unknown devices, bad passwords and a client id that is not the device', async () => {
    const { edge } = await setup();
    await expect(connectDevice(edge.brokerUrl, { clientId: 'ghost', username: 'ghost', password: PASSWORD })).rejects.toThrow(/Not authorized|not authorized/i);
    await expect(connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: 'wrong' })).rejects.toThrow(/username or password/i);
    await expect(connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1' })).rejects.toThrow(/username or password/i);
    await expect(connectDevice(edge.brokerUrl, { clientId: 'f2', username: 'f1', password: PASSWORD })).rejects.toThrow(/Not authorized|not authorized/i);
    const metrics = await (await fetch(`${edge.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/safestar_edge_refused_total\{code="SS_AUTH_BAD_PASSWORD"\} 1/);
    expect(metrics).toMatch(/safestar_edge_refused_total\{code="SS_AUTH_UNKNOWN_DEVICE"\} 1/);
    expect(edge.stats().accepted).toBe(0);
  });

  it('keeps a device inside its own topic prefix', async () => {
    const { edge, hub } = await setup();
    const f1 = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void f1.end(true));
    // Subscribing outside the prefix: SUBACK failure (128), connection stays.
    const suback = await new Promise<unknown>((r) => f1.subscribe('ss/v1/dev/#', { qos: 1 }, (e) => r(e)));
    expect(String(suback)).toMatch(/Subscribe error/); // mqtt.js reports granted QoS 128 as an error
    const own = await new Promise<{ qos: number }[]>((r, j) => f1.subscribe(`${topicOf(device('f1')).replace(/events$/, '')}#`, { qos: 1 }, (e, g) => (e ? j(e) : r(g as { qos: number }[]))));
    expect(own[0]?.qos).toBe(1);
    expect(f1.connected).toBe(true);
    // Publishing as another device: the connection is closed, nothing is accepted.
    const closed = new Promise<void>((r) => f1.once('close', () => r()));
    f1.publish(topicOf(device('f2')), fenceAlarm(1), { qos: 1 });
    await closed;
    const f2 = await connectDevice(edge.brokerUrl, { clientId: 'f2', username: 'f2', password: PASSWORD });
    cleanups.push(() => void f2.end(true));
    await publish(f2, topicOf(device('f2')), fenceAlarm(2));
    await edge.drain(5000);
    await until(() => hub.events.length >= 1);
    expect(hub.events.map((e) => e['device'])).toEqual(['f2']);
    const dev = (await (await fetch(`${edge.apiUrl}/devices/f1`)).json()) as { lastError: { code: string }; counters: { refused: number } };
    expect(dev.lastError.code).toBe('SS_ACL_PUBLISH');
  });

  it('holds events while the hub is down and delivers each exactly once when it is back, replays marked backfilled', async () => {
    const { edge, hub } = await setup();
    const d = device('f1');
    const c = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    await Promise.all(Array.from({ length: 50 }, (_, i) => publish(c, topicOf(d), fenceAlarm(i))));
    await edge.drain(5000);
    expect(hub.events).toHaveLength(50);
    await hub.stop();
    await Promise.all(Array.from({ length: 500 }, (_, i) => publish(c, topicOf(d), fenceAlarm(50 + i))));
    await new Promise((r) => setTimeout(r, 200));
    expect(edge.stats().outboxDepth).toBe(500);
    expect(hub.events).toHaveLength(50);
    const h = (await (await fetch(`${edge.apiUrl}/health`)).json()) as { status: string; outbox: { depth: number } };
    expect(h.status).toBe('degraded');
    expect(h.outbox.depth).toBe(500);
    await hub.restart();
    await edge.drain(15_000);
    await until(() => hub.events.length >= 550);
    await new Promise((r) => setTimeout(r, 200));
    const ids = hub.ids();
    expect(ids).toHaveLength(550);
    expect(new Set(ids).size).toBe(550);
    const replayed = hub.events.slice(50);
    expect(replayed.every((e) => e['backfilled'] === true)).toBe(true);
    expect(hub.events.slice(0, 50).some((e) => e['backfilled'] === true)).toBe(false);
    expect(edge.stats()).toMatchObject({ accepted: 550, events: 550, forwarded: 550, outboxDepth: 0 });
  });

  it('reconnects and resends when the hub swallows a PUBACK on a live link', async () => {
    let swallowed = 0;
    const hubBroker = await Aedes.createBroker({
      authorizePublish(client, packet, cb) {
        // The first batch never gets its PUBACK: a stuck hub session.
        if (packet.topic.endsWith('/events') && swallowed++ === 0) return;
        cb(null);
      },
    });
    const got: string[] = [];
    hubBroker.on('publish', (p) => {
      if (p.topic.endsWith('/events')) for (const e of (JSON.parse(p.payload.toString()) as { events: { id: string }[] }).events) got.push(e.id);
    });
    const srv = createServer((s) => hubBroker.handle(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => hubBroker.close(() => srv.close(() => r()))));
    const t = tempDir();
    cleanups.push(t.cleanup);
    const d = device('f1');
    const edge = await startEdge(siteConfig(t.dir, `mqtt://127.0.0.1:${(srv.address() as AddressInfo).port}`, [d]), { uplinkAckTimeoutMs: 300, uplinkReconnectMs: 100 });
    cleanups.push(() => edge.close());
    const c = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    await publish(c, topicOf(d), fenceAlarm(1));
    await edge.drain(10_000);
    expect(swallowed).toBeGreaterThanOrEqual(2);
    expect(new Set(got).size).toBe(1);
    expect(edge.stats().forwarded).toBe(1);
  });
});
