import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxdHandle } from '../../common/influxd.ts';
import type { Hub } from '../../hub/hub.ts';
import type { City } from '../../protocol/city.ts';
import { BASE_T, edgeClient, influxCount, influxQuery, makeEvent, publishBatch, startHubWithInflux } from './helpers.ts';

const city: City = {
  v: 1,
  seed: 1,
  name: 'Testville',
  districts: [{ id: 'd1', name: 'North' }],
  compounds: [
    { id: 'c1', name: 'Lotus Garden', district: 'd1', households: 400, lat: 24.48, lon: 118.09, devices: [
      { id: 'dev-0', kind: 'access', profile: 'hik-access', heartbeatSeconds: 60 },
      { id: 'dev-1', kind: 'access', profile: 'hik-access', heartbeatSeconds: 60 },
    ] },
    { id: 'c2', name: 'Pine Court', district: 'd1', households: 150, lat: 24.49, lon: 118.1, devices: [] },
  ],
};

let influxd: InfluxdHandle;
let hub: Hub;
const db = `api_${process.pid}`;

beforeAll(async () => {
  ({ influxd, hub } = await startHubWithInflux({ city, db, edge: { id: 'edge-1', secret: 's3cret-edge-pw', compounds: ['c1', 'c2'] }, operatorToken: 'operator-token-0123456789' }));
});
afterAll(async () => {
  await hub?.close();
  await influxd?.stop();
});

describe('hub API and edge auth', () => {
  it('refuses an edge with a wrong password and accepts the right one', async () => {
    await expect(edgeClient(hub.mqttUrl, 'edge-1', 'wrong')).rejects.toThrow();
    await expect(edgeClient(hub.mqttUrl, 'edge-2', 's3cret-edge-pw')).rejects.toThrow();
    const ok = await edgeClient(hub.mqttUrl, 'edge-1', 's3cret-edge-pw');
    expect(ok.connected).toBe(true);
    await ok.endAsync();
  });

  it('lists registered compounds with their index and stars, 404s unknown ones', async () => {
    const res = await fetch(`${hub.apiUrl}/api/compounds`);
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<Record<string, unknown>>;
    expect(list.map((c) => c['id']).sort()).toEqual(['c1', 'c2']);
    for (const c of list) {
      expect(Object.keys(c).sort()).toEqual(['district', 'households', 'id', 'index', 'lat', 'lon', 'name', 'stars', 'updatedAt']);
      // The product engine: no survey, no device heard, no case yet → unrated (stars null), not 5★.
      expect(c['stars']).toBeNull();
      expect(Number.isNaN(Date.parse(c['updatedAt'] as string))).toBe(false);
    }
    const one = await fetch(`${hub.apiUrl}/api/compounds/c1`);
    expect(await one.json()).toMatchObject({ id: 'c1', name: 'Lotus Garden', district: 'd1', households: 400, lat: city.compounds[0]!.lat, lon: city.compounds[0]!.lon });
    const missing = await fetch(`${hub.apiUrl}/api/compounds/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'SS_HUB_COMPOUND_UNKNOWN' });
  });

  it('rates a compound the moment its devices are heard, shows alarms unconfirmed, and keeps strings intact', async () => {
    const edge = await edgeClient(hub.mqttUrl, 'edge-1', 's3cret-edge-pw');
    const now = Date.now();
    // Four duress alarms from c1's two registered devices (dev-0, dev-1).
    const alarms = Array.from({ length: 4 }, (_, i) =>
      makeEvent(1000 + i, { device: `dev-${i % 2}`, deviceTime: now - 1000, receivedAt: now, type: 'duress', severity: 'critical', attributes: { note: 'say "hi" \\ back' } }),
    );
    await publishBatch(edge, 'edge-1', alarms);
    // PUBACK follows the durable commit, and the rating follows the commit: c1 is rated now
    // (its devices were heard); the alarms wait for an operator and are not scored (DOMAIN.md "IoT").
    const c1 = (await (await fetch(`${hub.apiUrl}/api/compounds/c1`)).json()) as { index: number; stars: number | null; detail: { unconfirmedAlarms: number; subScores: { iot: { score: number } } } };
    const c2 = (await (await fetch(`${hub.apiUrl}/api/compounds/c2`)).json()) as { index: number; stars: number | null };
    expect(c1.stars).toBe(5);
    expect(c1.detail.unconfirmedAlarms).toBe(4);
    expect(c1.detail.subScores.iot.score).toBe(100);
    expect(c2.stars).toBeNull();
    await hub.drain(20_000);
    const rows = await influxQuery(influxd.url, db, "SELECT note FROM events WHERE type = 'duress'");
    expect(rows.map((r) => r[1])).toEqual(Array(4).fill('say "hi" \\ back'));
    await edge.endAsync();
  });

  it('reports health and Prometheus metrics', async () => {
    const h = await fetch(`${hub.apiUrl}/health`);
    expect(h.status).toBe(200);
    const body = (await h.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', influx: 'up', queueDepth: 0 });
    expect(body['counters']).toMatchObject({ received: 4, written: 4 });
    const m = await (await fetch(`${hub.apiUrl}/metrics`)).text();
    for (const name of ['safestar_hub_events_received_total', 'safestar_hub_events_duplicate_total', 'safestar_hub_queue_depth', 'safestar_hub_influx_write_seconds_bucket', 'safestar_hub_events_written_total']) {
      expect(m).toContain(name);
    }
    expect(m).toMatch(/safestar_hub_events_written_total 4/);
  });

  it('splits a partly refused write: good points stored, the refused ones dead-lettered', async () => {
    // Make 'level' a string field first, so integer 'level' values conflict inside InfluxDB.
    const edge = await edgeClient(hub.mqttUrl, 'edge-1', 's3cret-edge-pw');
    const write = await fetch(`${influxd.url}/write?db=${db}&precision=ms`, { method: 'POST', body: `events,compound=cX,device=x level="high" ${BASE_T}` });
    expect(write.status).toBe(204);
    const before = await influxCount(influxd.url, db);
    const events = Array.from({ length: 40 }, (_, i) => makeEvent(2000 + i, { attributes: i % 10 === 3 ? { level: 7 } : { method: 'face' } }));
    await publishBatch(edge, 'edge-1', events);
    await hub.drain(20_000);
    expect((await influxCount(influxd.url, db)) - before).toBe(36);
    const dls = (await (await fetch(`${hub.apiUrl}/api/deadletters?reason=SS_DL_INFLUX_REJECTED`, { headers: { authorization: 'Bearer operator-token-0123456789' } })).json()) as Array<{ raw: string }>;
    expect(dls).toHaveLength(4);
    expect(dls.every((d) => d.raw.includes('level=7i'))).toBe(true);
    await edge.endAsync();
  });
});
