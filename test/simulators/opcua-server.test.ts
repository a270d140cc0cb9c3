import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeIds, OPCUACertificateManager, BrowseDirection, ClientSubscription, MessageSecurityMode, OPCUAClient, SecurityPolicy, TimestampsToReturn, type ClientSession, type DataValue } from 'node-opcua';
import { startOpcuaServer, type OpcuaSim } from '../../simulators/opcua-server.ts';

let sim: OpcuaSim;
let client: OPCUAClient;
let session: ClientSession;
const dir = mkdtempSync(join(tmpdir(), 'sim-opcua-test-'));

beforeAll(async () => {
  sim = await startOpcuaServer({ seed: 3, updateMs: 0, fenceZones: 3, barrierLanes: 2 });
  client = OPCUAClient.create({ clientCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, 'client-pki'), automaticallyAcceptUnknownCertificate: true }), endpointMustExist: false, securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None, connectionStrategy: { maxRetry: 2, initialDelay: 100, maxDelay: 500 } });
  await client.connect(sim.endpointUrl);
  session = await client.createSession();
});

afterAll(async () => {
  await session?.close().catch(() => {});
  await client?.disconnect().catch(() => {});
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('simulated OPC UA site', () => {
  it('browses the fence controller and barrier PLC with their variables', async () => {
    const objects = await session.browse({ nodeId: 'ns=0;i=85', browseDirection: BrowseDirection.Forward, resultMask: 63 });
    const names = (objects.references ?? []).map((r) => r.browseName.name);
    expect(names).toContain('FenceController');
    expect(names).toContain('BarrierPLC');
    const zone2 = await session.browse({ nodeId: sim.nodeIds['fence.zone2.Armed']!.replace('.Armed', ''), browseDirection: BrowseDirection.Forward, resultMask: 63 });
    expect((zone2.references ?? []).map((r) => r.browseName.name)).toEqual(expect.arrayContaining(['Armed', 'Alarm', 'WireCut', 'Short', 'VoltageKv']));
    const v = await session.read({ nodeId: sim.nodeIds['fence.zone1.VoltageKv']!, attributeId: AttributeIds.Value });
    expect(v.value.value).toBe(8.0);
    const ns = await session.readNamespaceArray();
    expect(ns).toContain(sim.namespaceUri);
  });

  it('a subscription sees a wire cut and a vehicle passing', async () => {
    const sub = ClientSubscription.create(session, { requestedPublishingInterval: 50, requestedMaxKeepAliveCount: 20, publishingEnabled: true });
    const seen: { path: string; value: unknown }[] = [];
    const watch = async (path: string): Promise<void> => {
      const item = await sub.monitor({ nodeId: sim.nodeIds[path]!, attributeId: AttributeIds.Value }, { samplingInterval: 50, queueSize: 10, discardOldest: true }, TimestampsToReturn.Both);
      item.on('changed', (dv: DataValue) => seen.push({ path, value: dv.value.value }));
    };
    await watch('fence.zone2.WireCut');
    await watch('fence.zone2.VoltageKv');
    await watch('barrier.lane1.PassCount');
    await new Promise((r) => setTimeout(r, 300));
    sim.inject({ fence: 'wire-cut', zone: 2 });
    sim.inject({ barrier: 'vehicle', lane: 1 });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(seen.some((s) => s.path === 'barrier.lane1.PassCount' && s.value === 1) && seen.some((s) => s.path === 'fence.zone2.WireCut' && s.value === true))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toContainEqual({ path: 'fence.zone2.WireCut', value: true });
    expect(seen).toContainEqual({ path: 'fence.zone2.VoltageKv', value: 0.3 });
    expect(seen).toContainEqual({ path: 'barrier.lane1.PassCount', value: 1 });
    await sub.terminate();
  });
});
