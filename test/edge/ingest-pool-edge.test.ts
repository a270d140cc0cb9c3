import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { SiteConfig } from '../../protocol/site.ts';
import { startEdge } from '../../edge/edge.ts';
import { DEFAULT_MODEL } from '../../edge/main.ts';
import { createOnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import { generateCity } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';
import { generateTraffic } from '../../simulators/traffic.ts';
import { connectDevice, publish, startHubStandIn, tempDir } from './helpers.ts';

/**
 * Issue 14, "use both cores", on a real edge (aedes, SQLite outbox, real ONNX scorer, hub
 * stand-in): the same vendor traffic through `pipeline.workers` 0 and 2 gives the same rows
 * (ids, bodies, scores), and under concurrent devices each device's order is kept.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const city = generateCity({ compounds: 1, seed: 11 });
const START = Date.UTC(2026, 10, 29, 1, 0, 0);

interface Msg { device: string; topic: string; payload: Buffer }

function traffic(perDevice: number): { config: (dataDir: string, hubUrl: string, workers: number) => SiteConfig; passwords: Record<string, string>; msgs: Msg[] } {
  const kit = siteConfigForCity(city, { edgeId: 'edge-pool', compoundIds: [city.compounds[0]!.id], hubUrl: 'mqtt://127.0.0.1:1', dataDir: '/nonexistent', deterministicSecrets: true });
  const count = new Map<string, number>();
  const msgs: Msg[] = [];
  const items = generateTraffic({ city, compoundIds: [city.compounds[0]!.id], seed: 5, startMs: START, ratePerSecond: 50, rhythm: 'flat', durationMs: 120_000 });
  for (const it of items) {
    if (it.action !== 'publish') continue;
    const n = count.get(it.device) ?? 0;
    if (n >= perDevice) continue;
    count.set(it.device, n + 1);
    msgs.push({ device: it.device, topic: it.topic, payload: Buffer.from(it.payload) });
  }
  // A malformed message of the first device: dead letters take the same path on both.
  const first = msgs[0]!;
  msgs.splice(3, 0, { device: first.device, topic: first.topic, payload: Buffer.from('{"not a vendor payload') });
  return {
    passwords: kit.passwords,
    msgs,
    config: (dataDir, hubUrl, workers) => ({
      ...kit.config, dataDir, uplink: { ...kit.config.uplink, url: hubUrl },
      broker: { ...kit.config.broker, port: 0, maxMessagesPerDevicePerSecond: 100_000 }, api: { ...kit.config.api, port: 0 },
      pipeline: { workers },
    }),
  };
}

async function run(workers: number, t: ReturnType<typeof traffic>, mode: 'sequential' | 'concurrent'): Promise<{ events: Record<string, unknown>[]; deadLettered: number }> {
  const dir = tempDir('ss-pool-edge-');
  cleanups.push(dir.cleanup);
  const hub = await startHubStandIn();
  cleanups.push(() => hub.close());
  const config = t.config(dir.dir, hub.url, workers);
  const profiles = new Map(config.devices.map((d) => [d.id, d.profile]));
  // One fixed clock: receive times (and so bodies) are the same in both runs.
  const clock = (): number => START + 60_000;
  const scorer = await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false, clock, features: { profileOf: (d) => profiles.get(d) } });
  const edge = await startEdge(config, { clock, scorer });
  cleanups.push(() => edge.close());
  const clients = new Map<string, MqttClient>();
  for (const id of new Set(t.msgs.map((m) => m.device))) {
    const c = await connectDevice(edge.brokerUrl, { clientId: id, username: id, password: t.passwords[id]!, connectTimeout: 30_000 });
    cleanups.push(() => void c.end(true));
    clients.set(id, c);
  }
  if (mode === 'sequential') {
    for (const m of t.msgs) await publish(clients.get(m.device)!, m.topic, m.payload);
  } else {
    // Every device sends all its messages at once, all devices together: many per pool batch.
    await Promise.all(t.msgs.map((m) => publish(clients.get(m.device)!, m.topic, m.payload)));
  }
  await edge.drain(60_000);
  const health = (await (await fetch(`${edge.apiUrl}/health`)).json()) as { pipeline: { workers: number; batches: number; workerStops: number } };
  expect(health.pipeline.workers).toBe(workers);
  if (workers > 0) expect(health.pipeline.batches, 'the threads did the ingest').toBeGreaterThan(0);
  expect(health.pipeline.workerStops).toBe(0);
  const s = edge.stats();
  expect(s.accepted).toBe(t.msgs.length);
  return { events: hub.events.filter((e) => (e['attributes'] as Record<string, unknown>)['origin'] !== 'edge'), deadLettered: s.deadLettered };
}

function perDevice(events: Record<string, unknown>[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of events) {
    const d = e['device'] as string;
    m.set(d, [...(m.get(d) ?? []), e['id'] as string]);
  }
  return m;
}

describe('edge with ingest threads (pipeline.workers)', () => {
  it('stores the same rows as the single-threaded edge: ids, bodies, scores, dead letters', { timeout: 240_000 }, async () => {
    const t = traffic(12);
    const single = await run(0, t, 'sequential');
    const pooled = await run(2, t, 'sequential');
    expect(single.events.length).toBeGreaterThan(50);
    expect(single.events.filter((e) => e['score'] !== undefined).length, 'the scorer ran').toBeGreaterThan(20);
    expect(single.deadLettered).toBe(1);
    expect(pooled.deadLettered).toBe(1);
    expect(pooled.events).toEqual(single.events);
  });

  it('keeps each device order with many devices sending at once, loses nothing', { timeout: 240_000 }, async () => {
    const t = traffic(40);
    const single = await run(0, t, 'concurrent');
    const pooled = await run(2, t, 'concurrent');
    expect(pooled.events.length).toBe(single.events.length);
    expect(perDevice(pooled.events)).toEqual(perDevice(single.events));
    expect(perDevice(pooled.events).size).toBeGreaterThan(5);
  });
});
