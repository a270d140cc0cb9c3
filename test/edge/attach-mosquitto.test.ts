import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge } from '../../edge/edge.ts';
import { connectDevice, deadLetters, device, fenceAlarm, publish, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/**
 * Attach mode against the machine's Mosquitto (127.0.0.1:1883, used as a client only). Each run
 * uses a unique compound id, so its topics never meet another test's or another engineer's.
 */
const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function dropSession(clientId: string): Promise<void> {
  const c = await connectDevice(MOSQUITTO, { clientId, clean: true });
  await new Promise<void>((r) => c.end(false, {}, () => r()));
}

describe('attach to an existing broker (Mosquitto)', () => {
  it('takes device messages from Mosquitto, survives an edge restart without loss, dead-letters foreign devices', async () => {
    const run = randomBytes(4).toString('hex');
    const compound = `t${run}`;
    const edgeClient = `edge-attach-${run}`;
    cleanups.push(() => dropSession(edgeClient));
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const d = device(`f-${run}`, { compound });
    const cfg = siteConfig(t.dir, hub.url, [d], {
      compounds: [{ id: compound, name: 'Attach test', district: 'd1', households: 100 }],
      broker: { host: '127.0.0.1', port: 0, maxPayloadBytes: 16_384, maxMessagesPerDevicePerSecond: 10_000, maxConnections: 10, attach: { url: MOSQUITTO, clientId: edgeClient } },
    });
    let edge = await startEdge(cfg);
    let edgeUp = true;
    cleanups.push(async () => {
      if (edgeUp) await edge.close();
    });
    expect(edge.brokerUrl).toBe(MOSQUITTO);

    const dev = await connectDevice(MOSQUITTO, { clientId: `dev-${run}` });
    cleanups.push(() => void dev.end(true));
    await Promise.all(Array.from({ length: 50 }, (_, i) => publish(dev, topicOf(d), fenceAlarm(i))));
    // A device that is not in the site config, on our compound's topics.
    await publish(dev, topicOf(device(`ghost-${run}`, { compound })), fenceAlarm(0));
    await until(() => edge.stats().accepted >= 51, 10_000, 'edge took 51 messages');
    await edge.drain(10_000);
    expect(hub.events).toHaveLength(50);

    // Edge down: Mosquitto keeps the messages for the edge's persistent session.
    await edge.close();
    edgeUp = false;
    await Promise.all(Array.from({ length: 100 }, (_, i) => publish(dev, topicOf(d), fenceAlarm(100 + i))));
    edge = await startEdge(cfg);
    edgeUp = true;
    await until(() => edge.stats().accepted >= 100, 15_000, 'queued messages after restart');
    await edge.drain(10_000);
    await until(() => hub.events.length >= 150, 5000, 'hub events');
    expect(hub.events).toHaveLength(150);
    expect(new Set(hub.ids()).size).toBe(150);
    const dl = await deadLetters(edge.apiUrl);
    expect(dl).toEqual([expect.objectContaining({ code: 'SS_ACL_PUBLISH', topic: topicOf(device(`ghost-${run}`, { compound })) })]);
  });
});
