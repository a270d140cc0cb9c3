import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { generateCity } from '../../simulators/city.ts';
import { commissionDevice } from '../../simulators/commission.ts';
import { confirmDevices } from '../../simulators/confirm.ts';
import { runSimulation } from '../../simulators/run.ts';
import { siteConfigForCity, type SiteKit } from '../../simulators/site-config.ts';
import { startTestBroker, type TestBroker } from './broker.ts';

/**
 * The simulators against a real edge (its codecs, auth and outbox) with a plain aedes standing in
 * for the hub: what the simulator says the edge should make of its traffic is what arrives.
 */
const city = generateCity({ compounds: 2, seed: 77 });
const c1 = city.compounds[0]!;
let hub: TestBroker;
let edge: Edge;
let kit: SiteKit;
const dir = mkdtempSync(join(tmpdir(), 'sim-edge-'));

function eventsAtHub(): { type: string; device: string }[] {
  return hub.received.filter((m) => m.topic.endsWith('/events')).flatMap((m) => (JSON.parse(m.payload.toString()) as { events: { type: string; device: string }[] }).events);
}

beforeAll(async () => {
  hub = await startTestBroker();
  kit = siteConfigForCity(city, { edgeId: 'edge-test', compoundIds: [c1.id], hubUrl: hub.url, dataDir: join(dir, 'edge') });
  edge = await startEdge(kit.config, { log: false });
});

afterAll(async () => {
  await edge?.close();
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('simulators against a real edge', () => {
  it('the edge forwards exactly the events the simulator expects', async () => {
    const report = await runSimulation({ city, compoundIds: [c1.id], brokerUrl: edge.brokerUrl, passwords: kit.passwords, seed: 1, ratePerSecond: 400, maxEvents: 400, byDevice: true });
    expect(report.errors).toBe(0);
    expect(report.expectedEvents).toBe(400);
    await edge.drain(10_000);
    const events = eventsAtHub();
    expect(edge.stats().deadLettered).toBe(0);
    expect(events.length).toBe(report.expectedEvents);
    const byType: Record<string, number> = {};
    for (const e of events) byType[e.type] = (byType[e.type] ?? 0) + 1;
    expect(byType).toEqual(report.byType);
    // Every device confirmed from the edge's own API.
    const c = await confirmDevices(edge.apiUrl, report.byDevice!, report.startMs);
    expect(c.ok).toBe(true);
    if (c.ok) {
      expect(c.devices.map((d) => d.device).sort()).toEqual(c1.devices.map((d) => d.id).sort());
      expect(c.devices.filter((d) => !d.confirmed)).toEqual([]);
    }
    const unknown = await confirmDevices(edge.apiUrl, { 'c9999-acc-01': 1 }, report.startMs);
    expect(unknown.ok && unknown.devices[0]!.confirmed).toBe(false);
  });

  it('sim device: the edge confirms each message it decoded', async () => {
    const d = c1.devices.find((x) => x.kind === 'access')!;
    const r = await commissionDevice({ brokerUrl: edge.brokerUrl, deviceId: d.id, password: kit.passwords[d.id]!, compound: c1.id, kind: d.kind, profile: d.profile, zone: d.zone, edgeApiUrl: edge.apiUrl, count: 3 });
    expect(r.connected).toBe(true);
    expect(r.steps.map((s) => s.channel)).toEqual(['state', 'heartbeat', 'events', 'events', 'events']);
    for (const s of r.steps) {
      expect(s.acked).toBe(true);
      expect(s.decoded, JSON.stringify(s)).toBe('yes');
    }
    expect(r.ok).toBe(true);
  });

  it('sim device: chosen event types, including a rare alarm', async () => {
    const d = c1.devices.find((x) => x.kind === 'camera')!;
    const r = await commissionDevice({ brokerUrl: edge.brokerUrl, deviceId: d.id, password: kit.passwords[d.id]!, compound: c1.id, kind: d.kind, profile: d.profile, edgeApiUrl: edge.apiUrl, types: ['tamper', 'intrusion-enter'] });
    expect(r.steps.slice(2).map((s) => [s.expected, s.decoded, s.edgeSaw?.type])).toEqual([[['tamper'], 'yes', 'tamper'], [['intrusion-enter'], 'yes', 'intrusion-enter']]);
    await expect(commissionDevice({ brokerUrl: edge.brokerUrl, deviceId: d.id, compound: c1.id, kind: d.kind, profile: d.profile, types: ['granted'] })).rejects.toThrow(/SS_SIM_DEVICE_TYPE/);
  });

  it('sim device: a wrong password is reported as not connected', async () => {
    const d = c1.devices[0]!;
    const r = await commissionDevice({ brokerUrl: edge.brokerUrl, deviceId: d.id, password: 'wrong', compound: c1.id, kind: d.kind, profile: d.profile, edgeApiUrl: edge.apiUrl });
    expect(r.connected).toBe(false);
    expect(r.ok).toBe(false);
    expect(r.connectError?.code).toMatch(/SS_SIM_CONNECT/);
  });

  it('bad traffic reaches the check it claims to test, as the device, and is reported from the edge\'s own answer', async () => {
    const before = edge.stats().deadLettered;
    const report = await runSimulation({
      city, compoundIds: [c1.id], brokerUrl: edge.brokerUrl, passwords: kit.passwords, seed: 2, ratePerSecond: 20, durationMs: 1500, heartbeats: false,
      connectRetry: { baseMs: 50, maxMs: 300 }, edgeApi: { url: edge.apiUrl }, byDevice: true,
      bad: [{ bad: 'malformed-json', afterMs: 200 }, { bad: 'wrong-types', afterMs: 300 }, { bad: 'unknown-device', afterMs: 400 }, { bad: 'wrong-topic', afterMs: 500 }, { bad: 'oversized', afterMs: 600 }],
    });
    expect(report.truth.map((t) => t.scenario).sort()).toEqual(['bad-malformed-json', 'bad-oversized', 'bad-unknown-device', 'bad-wrong-topic', 'bad-wrong-types']);
    const answer = (k: keyof typeof report.bad): string[] => Object.keys(report.bad[k]?.answers ?? {});
    // Dead letters: decoded by the device's own codec, which says why.
    expect(report.bad['malformed-json']).toMatchObject({ sent: 1, acked: 1, confirmed: 1, deadLettered: 1, unconfirmed: 0 });
    expect(answer('malformed-json')).toEqual(['SS_CODEC_JSON']);
    expect(report.bad['wrong-types']).toMatchObject({ sent: 1, acked: 1, confirmed: 1, deadLettered: 1 });
    expect(answer('wrong-types')[0]).toMatch(/^SS_CODEC_/);
    // Malformed, wrong types, and the oversized publish: the edge reads an oversized payload through
    // (below its hard cap), PUBACKs it and dead-letters it with its size, so the device moves on.
    expect(edge.stats().deadLettered - before).toBe(3);
    // Refusals: the topic ACL and the size limit were reached (not a refused CONNECT of a '.probe' id).
    expect(report.bad['wrong-topic']).toMatchObject({ sent: 1, refused: 1, confirmed: 1 });
    expect(answer('wrong-topic')).toEqual(['SS_ACL_PUBLISH']);
    expect(report.bad['oversized']).toMatchObject({ sent: 1, confirmed: 1 });
    expect(answer('oversized')[0]).toMatch(/^SS_(GUARD_PACKET_SIZE|PAYLOAD_TOO_LARGE)/);
    expect(report.bad['unknown-device']).toMatchObject({ sent: 1, refused: 1, confirmed: 1 });
    expect(answer('unknown-device')[0]).toMatch(/^SS_AUTH_/);
    expect(JSON.stringify(report.bad)).not.toMatch(/SS_AUTH_CLIENT_ID/);
    // Links the edge cut in answer came back on their own; nothing else was lost.
    expect(report.lostConnections).toBe(0);
    expect(report.errors).toBe(0);
    expect(report.neverConnected).toBe(0);
    // Every device behaved as intended: the edge confirms all of them, the probed ones included.
    const c = await confirmDevices(edge.apiUrl, report.byDevice!, report.startMs, fetch, report.probeAnswers);
    expect(c.ok && c.devices.filter((d) => !d.confirmed).map((d) => `${d.device} ${JSON.stringify(d.edge?.lastError)}`)).toEqual([]);
  });

  it('an offline storm: the edge makes one offline event per Will and one online per return', async () => {
    await edge.drain(10_000);
    const start = eventsAtHub().length;
    const report = await runSimulation({
      city, compoundIds: [c1.id], brokerUrl: edge.brokerUrl, passwords: kit.passwords, seed: 3, ratePerSecond: 30, durationMs: 1000, heartbeats: false,
      scenarios: [{ scenario: 'offline-storm', afterMs: 300 }], speed: 400,
    });
    expect(report.errors).toBe(0);
    const t = report.truth[0]!;
    expect(report.willsTriggered).toBe(t.devices.length);
    await edge.drain(10_000);
    const events = eventsAtHub().slice(start) as { type: string; device: string; attributes: Record<string, unknown> }[];
    const offline = events.filter((e) => e.type === 'offline' && e.attributes['origin'] !== 'edge');
    expect(new Set(offline.map((e) => e.device))).toEqual(new Set(t.devices));
    expect(events.filter((e) => e.attributes['origin'] !== 'edge').length).toBe(report.expectedEvents);
  });
});
