import { afterEach, describe, expect, it } from 'vitest';
import { startEdge } from '../../edge/edge.ts';
import { PASSWORD, connectDevice, device, fenceAlarm, startHubStandIn, siteConfig, tempDir, topicOf, until } from './helpers.ts';

/**
 * The broker skips aedes' forwarding for messages no client can hear (issue 14: a device's topics
 * can only be subscribed by that device). What a subscriber can hear must still reach it, and
 * a retained message must still be retained.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(): Promise<{ brokerUrl: string; hubEvents: () => number }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const hub = await startHubStandIn();
  cleanups.push(() => hub.close());
  const edge = await startEdge(siteConfig(t.dir, hub.url, [device('f1'), device('f2')]), { uplinkReconnectMs: 100 });
  cleanups.push(() => edge.close());
  return { brokerUrl: edge.brokerUrl, hubEvents: () => hub.events.length };
}

describe('embedded broker forwarding', () => {
  it('delivers a device its own messages once it subscribes, and stores every message either way', async () => {
    const { brokerUrl, hubEvents } = await setup();
    const f1 = await connectDevice(brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void f1.end(true));
    // Before any subscription nobody can hear f1: stored and acknowledged all the same.
    await f1.publishAsync(topicOf(device('f1')), fenceAlarm(1), { qos: 1 });
    const heard: string[] = [];
    f1.on('message', (topic, payload) => heard.push(`${topic} ${payload.toString()}`));
    await f1.subscribeAsync(`${topicOf(device('f1')).replace(/events$/, '')}#`, { qos: 1 });
    await f1.publishAsync(topicOf(device('f1')), fenceAlarm(2), { qos: 1 });
    await until(() => heard.length >= 1, 10_000, 'own message delivered');
    expect(heard).toEqual([`${topicOf(device('f1'))} ${fenceAlarm(2)}`]);
    await until(() => hubEvents() >= 2, 10_000, 'both events at the hub');
    expect(hubEvents()).toBe(2);
  });

  it('keeps a retained message of a device that has no subscription yet', async () => {
    const { brokerUrl } = await setup();
    const f2 = await connectDevice(brokerUrl, { clientId: 'f2', username: 'f2', password: PASSWORD });
    cleanups.push(() => void f2.end(true));
    const state = JSON.stringify({ state: 'online' });
    await f2.publishAsync(topicOf(device('f2'), 'state'), state, { qos: 1, retain: true });
    const heard: string[] = [];
    f2.on('message', (_topic, payload, packet) => heard.push(`${String(packet.retain)} ${payload.toString()}`));
    await f2.subscribeAsync(topicOf(device('f2'), 'state'), { qos: 1 });
    await until(() => heard.length >= 1, 10_000, 'retained state delivered');
    expect(heard).toEqual([`true ${state}`]);
  });
});
