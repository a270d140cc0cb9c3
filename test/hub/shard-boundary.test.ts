import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxdHandle } from '../../common/influxd.ts';
import type { Hub } from '../../hub/hub.ts';
import type { City } from '../../protocol/city.ts';
import { edgeClient, influxCount, makeEvent, publishBatch, startHubWithInflux } from './helpers.ts';

// InfluxDB 1.x keeps points in 7-day shard groups aligned to Mondays 00:00 UTC (Go's
// time.Truncate counts from 0001-01-01, a Monday), and field types are fixed per shard. A field
// conflict on one side of a boundary must refuse only the points on that side: the hub's split of
// a partly refused write has to hold at the calendar edge, whatever today's date is.
const MONDAY = Date.UTC(2026, 10, 30, 0, 0, 0); // 2026-11-30T00:00:00Z
const db = `shard_${process.pid}`;
const OPERATOR = 'operator-token-0123456789';

const city: City = {
  v: 1,
  seed: 1,
  name: 'Testville',
  districts: [{ id: 'd1', name: 'North' }],
  compounds: [{ id: 'c1', name: 'Lotus Garden', district: 'd1', households: 400, lat: 24.48, lon: 118.09, devices: [] }],
};

let influxd: InfluxdHandle;
let hub: Hub;

beforeAll(async () => {
  ({ influxd, hub } = await startHubWithInflux({ city, db, edge: { id: 'edge-1', secret: 's3cret-edge-pw', compounds: ['c1'] }, operatorToken: OPERATOR }));
});
afterAll(async () => {
  await hub?.close();
  await influxd?.stop();
});

describe('InfluxDB shard boundary (Monday 00:00 UTC)', () => {
  it('refuses a conflicting field only in the shard where the conflict exists', async () => {
    expect(new Date(MONDAY).getUTCDay()).toBe(1);
    // The hub creates its database when it first writes; this test writes first.
    await fetch(`${influxd.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${db}`)}`, { method: 'POST' });
    // 'level' becomes a string in the shard that ends at MONDAY (Sunday noon).
    const seed = await fetch(`${influxd.url}/write?db=${db}&precision=ms`, {
      method: 'POST',
      body: `events,compound=cX,device=x level="high" ${MONDAY - 12 * 3_600_000}`,
    });
    expect(seed.status).toBe(204);
    const before = await influxCount(influxd.url, db);

    // 10 events in the last 10 s before the boundary, 10 in the first 10 s after it.
    const events = Array.from({ length: 20 }, (_, i) => {
      const t = MONDAY - 10_000 + i * 1000;
      return makeEvent(5000 + i, { id: `edge-1:${MONDAY}:${String(i).padStart(6, '0')}`, deviceTime: t, receivedAt: t + 5, attributes: { level: 7 } });
    });
    const edge = await edgeClient(hub.mqttUrl, 'edge-1', 's3cret-edge-pw');
    await publishBatch(edge, 'edge-1', events);
    await hub.drain(20_000);
    await edge.endAsync();

    expect((await influxCount(influxd.url, db)) - before).toBe(10);
    const res = await fetch(`${influxd.url}/query?db=${db}&epoch=ms&q=${encodeURIComponent('SELECT count(id) FROM events WHERE time >= ' + MONDAY + 'ms')}`);
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: number[][] }> }> };
    expect(body.results[0]?.series?.[0]?.values[0]?.[1]).toBe(10);

    const dls = (await (await fetch(`${hub.apiUrl}/api/deadletters?reason=SS_DL_INFLUX_REJECTED`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as Array<{ raw: string }>;
    expect(dls).toHaveLength(10);
    // Every refused line is from before the boundary (line protocol ends with the ns timestamp).
    for (const d of dls) expect(Number(BigInt(d.raw.trim().split(' ').pop()!) / 1_000_000n)).toBeLessThan(MONDAY);

    // The premise itself: the two sides really are two shard groups that start on Mondays.
    const shards = await fetch(`${influxd.url}/query?q=${encodeURIComponent('SHOW SHARDS')}`);
    const sj = (await shards.json()) as { results: Array<{ series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }> };
    const mine = sj.results[0]?.series?.find((s) => s.name === db);
    const startCol = mine!.columns.indexOf('start_time');
    const starts = mine!.values.map((v) => Date.parse(String(v[startCol]))).sort((a, b) => a - b);
    // The hub also writes safety_index points at its own clock: on another date (faketime in CI)
    // they open the shard of that week, so only the shards holding the events are compared.
    const week = 7 * 86_400_000;
    const eventShards = starts.filter((s) => s < MONDAY + 10_000 && s + week > MONDAY - 10_000);
    expect(eventShards).toEqual([MONDAY - week, MONDAY]);
    for (const s of starts) expect(new Date(s).getUTCDay() * 100 + new Date(s).getUTCHours(), new Date(s).toISOString()).toBe(100); // Monday 00:00 UTC
  });
});
