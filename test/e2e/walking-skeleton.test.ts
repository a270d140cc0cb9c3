import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { productHub } from '../../hub/product.ts';
import { generateCity } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';
import { runSimulation } from '../../simulators/run.ts';
import { deviceTopic } from '../../protocol/topics.ts';
import type { City, CityCompound, CityDevice } from '../../protocol/city.ts';

// The whole path, real parts only: simulated devices → edge (aedes, codecs, SQLite outbox,
// uplink) → hub (aedes, dedupe, durable queue) → a throwaway influxd; then the hub's API.
describe('walking skeleton: simulators → edge → hub → InfluxDB', () => {
  let influxd: InfluxdHandle;
  let dir: string;
  let hub: Hub;
  let edge: Edge;
  let city: City;
  let compound: CityCompound;
  let passwords: Record<string, string>;
  let apiToken: string;
  let influx: InfluxDB;
  const operator = 'operator-token-e2e-0123';

  beforeAll(async () => {
    influxd = await startInfluxd();
    dir = mkdtempSync(join(tmpdir(), 'safestar-e2e-'));
    city = generateCity({ compounds: 3, seed: 11 });
    compound = city.compounds[0]!;
    hub = await startHub({
      dataDir: join(dir, 'hub'),
      mqtt: { host: '127.0.0.1', port: 0 },
      api: { host: '127.0.0.1', port: 0 },
      influx: { url: influxd.url, database: 'safestar' },
      city,
      log: false,
      // The product's hub: the full safety-index engine and its API (as `safestar hub` runs it).
      ...productHub({ influx: { url: influxd.url, database: 'safestar' }, tokens: { departments: {}, operators: [operator] } }),
    });
    const kit = siteConfigForCity(city, { edgeId: 'edge-e2e', compoundIds: [compound.id], hubUrl: hub.mqttUrl, dataDir: join(dir, 'edge') });
    passwords = kit.passwords;
    apiToken = kit.apiToken;
    edge = await startEdge(kit.config, { log: false });
    influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'safestar' });
  });

  afterAll(async () => {
    await edge?.close();
    await hub?.close();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const countFor = async (compoundId: string): Promise<number> => {
    const rows = await influx.query<{ count: number }>(`SELECT count("id") AS count FROM "events" WHERE "compound" = '${compoundId}'`);
    return rows[0]?.count ?? 0;
  };

  function deviceOf(kind: CityDevice['kind']): CityDevice {
    const d = compound.devices.find((x) => x.kind === kind);
    if (!d) throw new Error(`compound ${compound.id} has no ${kind} device`);
    return d;
  }

  async function publishAs(device: CityDevice, payload: string): Promise<void> {
    const client = await mqtt.connectAsync(edge.brokerUrl, { clientId: device.id, username: device.id, password: passwords[device.id], reconnectPeriod: 0 });
    try {
      await client.publishAsync(deviceTopic(compound.id, device.kind, device.id, 'events'), payload, { qos: 1 });
    } finally {
      await client.endAsync();
    }
  }

  it('stores exactly the K events the simulator sent, dead-letters a malformed payload, and a confirmed alarm moves the index', async () => {
    const K = 300;
    const report = await runSimulation({
      city, compoundIds: [compound.id], brokerUrl: edge.brokerUrl, passwords, seed: 5,
      ratePerSecond: 400, maxEvents: K, heartbeats: false,
    });
    expect(report.errors).toBe(0);
    expect(report.expectedEvents).toBe(K);

    const before = (await (await fetch(`${hub.apiUrl}/api/compounds/${compound.id}`)).json()) as { index: number; stars: number };

    // One payload the edge cannot decode, from an authenticated device, on its own topic.
    const access = deviceOf('access');
    await publishAs(access, '{"majorEventType": 5, "subEventType": ');
    // A duress alarm in the access controller's own vendor format (a life-safety event).
    const duress = access.profile === 'hik-access'
      ? JSON.stringify({ ipAddress: '10.0.0.9', channelID: 1, dateTime: new Date().toISOString().replace('Z', '+00:00'), activePostCount: 1, eventType: 'AccessControllerEvent', eventState: 'active',
          AccessControllerEvent: { majorEventType: 5, subEventType: 1, cardType: 3, cardNo: '99887766', cardReaderNo: 1, doorNo: 1, serialNo: 1 } })
      : JSON.stringify({ Code: 'Duress', Action: 'Pulse', Index: 0, Data: { CardNo: '99887766', UTC: Math.floor(Date.now() / 1000) } });
    await publishAs(access, duress);

    await edge.drain(30_000);
    await hub.drain(30_000);

    expect(await countFor(compound.id)).toBe(K + 1);
    // Nothing leaked into the other compounds of the city.
    for (const other of city.compounds.slice(1)) expect(await countFor(other.id)).toBe(0);
    expect(edge.stats().deadLettered).toBe(1);
    expect(hub.stats().deadLettered).toBe(0);
    expect(hub.stats().queued).toBe(0);

    expect((await fetch(`${edge.apiUrl}/deadletters`)).status).toBe(401);
    const dl = (await (await fetch(`${edge.apiUrl}/deadletters`, { headers: { authorization: `Bearer ${apiToken}` } })).json()) as unknown;
    expect(JSON.stringify(dl)).toContain(access.id);

    const duressRows = await influx.query(`SELECT count("id") AS count FROM "events" WHERE "compound" = '${compound.id}' AND "type" = 'duress'`);
    expect(duressRows[0]).toMatchObject({ count: 1 });

    // Device alarms are shown but not scored until an operator confirms them (DOMAIN.md, IoT).
    const auth = { authorization: `Bearer ${operator}` };
    const pending = (await (await fetch(`${hub.apiUrl}/api/alarms?status=pending&compound=${compound.id}`, { headers: auth })).json()) as { id: string; type: string }[];
    const alarm = pending.find((a) => a.type === 'duress');
    expect(alarm, JSON.stringify(pending)).toBeDefined();
    const unconfirmed = (await (await fetch(`${hub.apiUrl}/api/compounds/${compound.id}`)).json()) as { index: number };
    expect(unconfirmed.index).toBe(before.index);
    const confirm = await fetch(`${hub.apiUrl}/api/alarms/${encodeURIComponent(alarm!.id)}/confirm`, { method: 'POST', headers: auth });
    expect(confirm.status).toBe(200);
    const after = (await (await fetch(`${hub.apiUrl}/api/compounds/${compound.id}`)).json()) as { index: number; detail: { subScores: { iot: { score: number } } } };
    expect(after.index).toBeLessThan(before.index);
    expect(after.detail.subScores.iot.score).toBeLessThan(100);

    const list = (await (await fetch(`${hub.apiUrl}/api/compounds`)).json()) as { id: string }[];
    expect(list.map((c) => c.id).sort()).toEqual(city.compounds.map((c) => c.id).sort());
  });

  it('never stores a raw card number or plate: personal data is hashed at the edge', async () => {
    const rows = await influx.query<Record<string, unknown>>(`SELECT * FROM "events" WHERE "compound" = '${compound.id}' LIMIT 2000`);
    expect(rows.length).toBeGreaterThan(0);
    const text = JSON.stringify(rows);
    expect(text).not.toContain('99887766');
    // SELECT * returns the union of all field keys as columns. Names are never stored; card,
    // employee and plate values are keyed hashes (the edge's site secret), never the raw value.
    let hashed = 0;
    for (const r of rows) {
      expect(r['person'] ?? null).toBeNull();
      for (const key of ['card', 'employee', 'plate']) {
        const v = r[key];
        if (v === null || v === undefined) continue;
        expect(String(v), `${key} in ${String(r['id'])}`).toMatch(/^[0-9a-f]{32,64}$/);
        hashed++;
      }
      const masked = r['plateMasked'];
      if (typeof masked === 'string') expect(masked).toContain('*');
    }
    expect(hashed).toBeGreaterThan(0);
  });
});
