import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { checkSiteConfig } from '../../protocol/site.ts';
import { generateCity } from '../../simulators/city.ts';
import { opcuaEndpointFor } from '../../simulators/opcua-items.ts';
import { startOpcuaServer, type OpcuaSim } from '../../simulators/opcua-server.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';
import { startTestBroker, type TestBroker } from './broker.ts';

/** The simulated OPC UA site mapped by `sim kit --opcua` into a real edge: a cut wire becomes an event. */
const dir = mkdtempSync(join(tmpdir(), 'sim-opcua-edge-'));
const city = generateCity({ compounds: 1, seed: 31 });
const c = city.compounds[0]!;
let sim: OpcuaSim;
let hub: TestBroker;
let edge: Edge;

beforeAll(async () => {
  sim = await startOpcuaServer({ dataDir: join(dir, 'opcua'), updateMs: 0 });
  hub = await startTestBroker();
  const kit = siteConfigForCity(city, { edgeId: 'edge-opc', compoundIds: [c.id], hubUrl: hub.url, dataDir: join(dir, 'edge'), hash: () => 'scrypt$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==' });
  kit.config.opcua = [opcuaEndpointFor(c, sim.endpointUrl, { samplingMs: 50 })];
  expect(checkSiteConfig(kit.config).ok).toBe(true);
  // Every mapped node exists on the simulated server.
  for (const it of kit.config.opcua[0]!.items) expect(Object.values(sim.nodeIds)).toContain(it.nodeId);
  edge = await startEdge(kit.config, { log: false });
});

afterAll(async () => {
  await edge?.close();
  await hub?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OPC UA site → edge', () => {
  it('a wire cut on zone 2 and a gate fault arrive as events of the mapped devices', async () => {
    const fence = c.devices.find((d) => d.kind === 'fence')!.id;
    const barrier = c.devices.find((d) => d.kind === 'barrier')!.id;
    const seen = (): { type: string; device: string; attributes: Record<string, unknown> }[] =>
      hub.received.filter((m) => m.topic.endsWith('/events')).flatMap((m) => (JSON.parse(m.payload.toString()) as { events: { type: string; device: string; attributes: Record<string, unknown> }[] }).events);
    const deadline = Date.now() + 20_000;
    let injected = false;
    while (Date.now() < deadline) {
      // Inject once the subscription had time to settle; keep polling the hub stand-in.
      if (!injected && Date.now() > deadline - 17_000) {
        sim.inject({ fence: 'wire-cut', zone: 2 });
        sim.inject({ barrier: 'fault', lane: 1 });
        injected = true;
      }
      const ev = seen();
      if (ev.some((e) => e.type === 'wire-cut') && ev.some((e) => e.type === 'gate-fault')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const ev = seen();
    expect(ev.find((e) => e.type === 'wire-cut')?.device).toBe(fence);
    expect(ev.find((e) => e.type === 'gate-fault')?.device).toBe(barrier);
  });
});
