import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../common/password.ts';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { productHub } from '../../hub/product.ts';
import { deviceTopic } from '../../protocol/topics.ts';
import { generateCity } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';

// Real parts: a hub with issued edge credentials, a real edge (aedes, codecs, outbox, uplink), a
// device publishing a malformed payload over MQTT. The console must show what the edge
// dead-lettered, and an edge going away as one root cause for all its devices.
describe('console: edges, their dead letters and root-cause grouping', () => {
  const operator = 'operator-token-edges-0123';
  const auth = { authorization: `Bearer ${operator}` };
  const city = generateCity({ compounds: 3, seed: 5 });
  const compound = city.compounds[0]!;
  let dir: string;
  let hub: Hub;
  let edge: Edge | undefined;
  let passwords: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-console-edges-'));
    const secret = 'edge-secret-for-the-console-test';
    hub = await startHub({
      dataDir: join(dir, 'hub'),
      mqtt: { host: '127.0.0.1', port: 0 },
      api: { host: '127.0.0.1', port: 0 },
      city,
      log: false,
      edges: [{ id: 'edge-a', compounds: [compound.id], passwordHash: hashPassword(secret) }],
      ...productHub({ tokens: { departments: {}, operators: [operator] }, districts: city.districts }),
    });
    const kit = siteConfigForCity(city, { edgeId: 'edge-a', compoundIds: [compound.id], hubUrl: hub.mqttUrl, dataDir: join(dir, 'edge'), uplinkPassword: secret });
    passwords = kit.passwords;
    edge = await startEdge(kit.config, { log: false });
  }, 60_000);

  afterAll(async () => {
    await edge?.close();
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${hub.apiUrl}${path}`, { headers: auth });
    expect(r.status, path).toBe(200);
    return (await r.json()) as T;
  };
  const until = async (what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('shows the edge connected and the malformed payload one device sent, by reason, as the edge reports it', async () => {
    await until('edge-a connected', async () => (await get<{ edges: { id: string; connected: boolean }[] }>('/api/console/infrastructure')).edges.some((e) => e.id === 'edge-a' && e.connected));
    const device = compound.devices.find((d) => d.kind === 'access')!;
    const client = await mqtt.connectAsync(edge!.brokerUrl, { clientId: device.id, username: device.id, password: passwords[device.id], reconnectPeriod: 0 });
    await client.publishAsync(deviceTopic(compound.id, device.kind, device.id, 'events'), '{"majorEventType": 5, "subEventType": ', { qos: 1 });
    await client.endAsync();
    type Dead = { atEdges: { edge: string; reason: string; count: number }[] };
    await until('the edge\'s dead letter at the hub', async () => (await get<Dead>('/api/console/deadletters')).atEdges.some((d) => d.edge === 'edge-a' && d.count >= 1));
    const dead = await get<Dead>('/api/console/deadletters');
    expect(dead.atEdges.every((d) => /^SS_[A-Z0-9_]+$/.test(d.reason))).toBe(true);
    const overview = await get<{ deadLetters: number; edges: { connected: number; known: number } }>('/api/console/overview');
    expect(overview.deadLetters).toBeGreaterThanOrEqual(1);
    expect(overview.edges).toEqual({ connected: 1, known: 1 });
  });

  it('groups every device behind an edge that went away as one cause: "edge X offline, N devices"', async () => {
    await edge!.close();
    edge = undefined;
    type Infra = { causes: { cause: string; edge?: string; devices: number | string[] }[]; totals: { unreachable: number } };
    await until('edge-a offline', async () => (await get<Infra>('/api/console/infrastructure')).causes.some((c) => c.cause === 'edge-offline'));
    const infra = await get<Infra>('/api/console/infrastructure');
    const cause = infra.causes.find((c) => c.cause === 'edge-offline')!;
    expect(cause.edge).toBe('edge-a');
    expect(cause.devices).toBe(compound.devices.length);
    expect(infra.totals.unreachable).toBe(compound.devices.length);
    // One cause, not one per device.
    expect(infra.causes.filter((c) => c.cause === 'devices-offline')).toHaveLength(0);
  });
});
