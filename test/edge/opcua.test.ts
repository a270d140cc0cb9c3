import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpcuaServer, type OpcuaSim } from '../../simulators/opcua-server.ts';
import { startEdge } from '../../edge/edge.ts';
import { opcuaDraft } from '../../edge/codecs/opcua-signal.ts';
import { device, siteConfig, startHubStandIn, tempDir, until } from './helpers.ts';

/**
 * The OPC UA connector against the simulators' real node-opcua server: values flow, and after the
 * server restarts (a new process state, sessions gone) the connector's session and subscriptions
 * come back on their own and values flow again.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('OPC UA signal mapping (pure)', () => {
  it('fires alarms on rising edges, power loss on the falling edge, states on change only', () => {
    const a = { source: 'opcua' };
    expect(opcuaDraft('wire-cut', 'fence', false, true, 1, a)?.type).toBe('wire-cut');
    expect(opcuaDraft('wire-cut', 'fence', undefined, true, 1, a)?.severity).toBe('critical');
    expect(opcuaDraft('wire-cut', 'fence', true, true, 1, a)).toBeUndefined();
    expect(opcuaDraft('wire-cut', 'fence', true, false, 1, a)).toBeUndefined();
    expect(opcuaDraft('power-ok', 'fence', true, false, 1, a)?.type).toBe('power-loss');
    expect(opcuaDraft('armed', 'fence', undefined, true, 1, a)).toBeUndefined();
    expect(opcuaDraft('armed', 'fence', true, false, 1, a)?.type).toBe('disarm');
    expect(opcuaDraft('gate-state', 'barrier', 1, 2, 1, a)?.type).toBe('gate-open');
    expect(opcuaDraft('gate-state', 'barrier', 3, 0, 1, a)?.type).toBe('gate-close');
    expect(opcuaDraft('gate-state', 'barrier', 0, 1, 1, a)).toBeUndefined();
  });
});

describe('OPC UA connector', () => {
  it('recovers its session and subscriptions after the server restarts', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const pki = join(t.dir, 'server-pki');
    let sim: OpcuaSim = await startOpcuaServer({ dataDir: pki, updateMs: 0, fenceZones: 2, barrierLanes: 1 });
    let simUp = true;
    cleanups.push(async () => {
      if (simUp) await sim.stop();
    });
    const port = Number(new URL(sim.endpointUrl.replace('opc.tcp', 'http')).port);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const fence = device('fen-1');
    const gate = device('bar-1', { kind: 'barrier', profile: 'anpr-json' });
    const cfg = siteConfig(join(t.dir, 'edge'), hub.url, [fence, gate], {
      opcua: [{
        url: sim.endpointUrl,
        samplingMs: 100,
        items: [
          { nodeId: sim.nodeIds['fence.zone1.WireCut']!, device: 'fen-1', signal: 'wire-cut', zone: 1 },
          { nodeId: sim.nodeIds['fence.zone1.Alarm']!, device: 'fen-1', signal: 'fence-alarm', zone: 1 },
          { nodeId: sim.nodeIds['barrier.lane1.Fault']!, device: 'bar-1', signal: 'gate-fault' },
        ],
      }],
    });
    const edge = await startEdge(cfg);
    cleanups.push(() => edge.close());
    const opcuaState = async (): Promise<{ state: string; sessions: number }> => {
      const h = (await (await fetch(`${edge.apiUrl}/health`)).json()) as { opcua: { state: string; sessions: number }[] };
      return h.opcua[0]!;
    };
    await until(async () => (await opcuaState()).state === 'up', 20_000, 'OPC UA up');
    sim.inject({ fence: 'wire-cut', zone: 1 });
    await until(() => hub.events.some((e) => e['type'] === 'wire-cut'), 10_000, 'wire-cut event');
    const cut = hub.events.find((e) => e['type'] === 'wire-cut') as { device: string; attributes: Record<string, unknown> };
    expect(cut.device).toBe('fen-1');
    expect(cut.attributes).toMatchObject({ source: 'opcua', zone: 1 });

    await sim.stop();
    simUp = false;
    await until(async () => (await opcuaState()).state !== 'up', 20_000, 'OPC UA down noticed');
    sim = await startOpcuaServer({ port, dataDir: pki, updateMs: 0, fenceZones: 2, barrierLanes: 1 });
    simUp = true;
    await until(async () => (await opcuaState()).sessions >= 2 && (await opcuaState()).state === 'up', 30_000, 'OPC UA back up');
    sim.inject({ fence: 'alarm', zone: 1 });
    sim.inject({ barrier: 'fault', lane: 1 });
    await until(() => hub.events.some((e) => e['type'] === 'fence-alarm') && hub.events.some((e) => e['type'] === 'gate-fault'), 15_000, 'values after restart');
    await edge.drain(5000);
    expect(hub.events.filter((e) => e['type'] === 'wire-cut')).toHaveLength(1);
    expect(hub.events.find((e) => e['type'] === 'gate-fault')?.['device']).toBe('bar-1');
  });
});
