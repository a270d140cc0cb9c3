import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { productHub } from '../../hub/product.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { localMidnight } from '../../hub/policy/time.ts';
import { generateCity } from '../../simulators/city.ts';
import { cityDashboard } from '../../dashboards/city.ts';
import { expandMacros } from '../../dashboards/influxql.ts';
import { Q } from '../../dashboards/queries.ts';
import type { Event } from '../../protocol/event.ts';
import { edgeClient, publishBatch, until } from '../hub/helpers.ts';

const DAY = 86_400_000;
const POLICE = 'police-token-0123456789';
const OPERATOR = 'operator-token-0123456789';

interface Insights {
  months: string[];
  districts: { id: string; problems: { source: string; kind: string; counts: number[] }[] }[];
}

// 共性问题: the Grafana panel and /api/insights must give the same counts. The real hub takes cases
// and alarm decisions through its API, writes `problems` through its one InfluxDB writer into a real
// influxd, and the panel's query (macros expanded as Grafana does) runs once per local month.
describe('the 共性问题 panel counts what /api/insights counts', () => {
  let influxd: InfluxdHandle;
  let hub: Hub;
  let dir: string;
  const city = generateCity({ compounds: 6, seed: 3 });
  const [a, b] = [city.compounds[0]!, city.compounds.find((c) => c.district !== city.compounds[0]!.district) ?? city.compounds[1]!];

  const api = async (method: string, path: string, token: string, body?: unknown): Promise<Response> =>
    fetch(`${hub.apiUrl}${path}`, body ? { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method, headers: { authorization: `Bearer ${token}` } });
  const post = async (id: string, compound: string, category: string, daysAgo: number, status = 'registered'): Promise<void> => {
    const at = new Date(Date.now() - daysAgo * DAY).toISOString();
    const res = await api('POST', '/api/cases', POLICE, { id, department: 'police', category, compound, occurredAt: at, registeredAt: at, status });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  };

  beforeAll(async () => {
    influxd = await startInfluxd();
    dir = mkdtempSync(join(tmpdir(), 'safestar-insights-'));
    const product = productHub({ influx: { url: influxd.url, database: 'safestar' }, tokens: { departments: { police: [POLICE] }, operators: [OPERATOR] } });
    hub = await startHub({
      dataDir: join(dir, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 },
      influx: { url: influxd.url, database: 'safestar' }, city, log: false, ...product,
    });
    // Two of one category on the same day in one district: two points, not one.
    await post('INS-1', a.id, 'fraud-victim', 1);
    await post('INS-2', a.id, 'fraud-victim', 1);
    await post('INS-3', a.id, 'fraud-victim', 35);
    // Withdrawn: counted by neither.
    await post('INS-4', a.id, 'burglary', 2);
    await post('INS-4', a.id, 'burglary', 2, 'withdrawn');
    // Reclassified and moved to another compound (district) and month: only the new version counts.
    await post('INS-5', a.id, 'burglary', 3);
    await post('INS-5', b.id, 'fraud-victim', 64);
    // Device alarms: pending and confirmed count, dismissed does not.
    const now = Date.now();
    const fence = a.devices.find((d) => d.kind === 'fence')!.id;
    const base = { v: 1 as const, district: a.district, compound: a.id, edge: 'edge-i', attributes: {}, device: fence, kind: 'fence' as const, severity: 'critical' as const };
    const events: Event[] = [
      { ...base, id: 'edge-i.1.aaaa', deviceTime: now - 60_000, receivedAt: now - 59_000, type: 'fence-alarm' },
      { ...base, id: 'edge-i.1.aaab', deviceTime: now - 50_000, receivedAt: now - 49_000, type: 'fence-alarm' },
      { ...base, id: 'edge-i.1.aaac', deviceTime: now - 40_000, receivedAt: now - 39_000, type: 'wire-cut' },
    ];
    const client = await edgeClient(hub.mqttUrl, 'edge-i');
    await publishBatch(client, 'edge-i', events);
    await client.endAsync();
    await until(async () => ((await (await api('GET', '/api/alarms?status=pending', OPERATOR)).json()) as unknown[]).length === 3, 20_000, 'three pending alarms');
    expect((await api('POST', '/api/alarms/edge-i.1.aaaa/confirm', OPERATOR)).status).toBe(200);
    expect((await api('POST', '/api/alarms/edge-i.1.aaac/dismiss', OPERATOR)).status).toBe(200);
    await hub.drain(20_000);
    await until(async () => ((await (await api('GET', '/api/index/stats', OPERATOR)).json()) as { history: { queued: number } }).history.queued === 0, 20_000, 'problems points written');
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(q: string): Promise<{ tags: Record<string, string>; values: [string, number][] }[]> {
    const r = await fetch(`${influxd.url}/query?db=safestar&q=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { results: { series?: { tags: Record<string, string>; values: [string, number][] }[]; error?: string }[] };
    if (body.results[0]?.error) throw new Error(`${body.results[0].error}: ${q}`);
    return body.results[0]?.series ?? [];
  }

  it('the panel is on the city dashboard with that query', () => {
    const dash = cityDashboard().build() as unknown as { panels: { targets?: { query: string }[] }[] };
    expect(dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.query)).toContain(Q.problems);
  });

  it('gives the same counts per district, source, kind and local month', async () => {
    const r = (await (await fetch(`${hub.apiUrl}/api/insights`)).json()) as Insights;
    const tz = defaultPolicy().timezoneOffsetMinutes;
    const fromApi = new Map<string, number[]>();
    for (const d of r.districts) for (const p of d.problems) fromApi.set(`${d.id}|${p.source}|${p.kind}`, p.counts);
    const fromPanel = new Map<string, number[]>();
    for (const [i, key] of r.months.entries()) {
      const [y, m] = key.split('-').map(Number) as [number, number];
      const start = localMidnight(y, m, 1, tz);
      const end = localMidnight(y, m + 1, 1, tz);
      // Grafana's $timeFilter for a range that is exactly this local month.
      for (const s of await query(expandMacros(Q.problems, end - 1, end - 1 - start))) {
        const n = s.values[0]?.[1] ?? 0;
        if (n === 0) continue;
        const k = `${s.tags['district']}|${s.tags['source']}|${s.tags['kind']}`;
        const counts = fromPanel.get(k) ?? r.months.map(() => 0);
        counts[i] = n;
        fromPanel.set(k, counts);
      }
    }
    expect(Object.fromEntries(fromPanel)).toEqual(Object.fromEntries(fromApi));
    // And the counts are the ones posted (so agreeing on nothing cannot pass).
    const sum = (k: string) => (fromApi.get(k) ?? []).reduce((x, y) => x + y, 0);
    expect(sum(`${a.district}|case|fraud-victim`) + (a.district === b.district ? -1 : 0)).toBe(3);
    expect(sum(`${b.district}|case|fraud-victim`)).toBeGreaterThanOrEqual(1);
    expect(fromApi.has(`${a.district}|case|burglary`)).toBe(false);
    expect(sum(`${a.district}|alarm|fence-alarm`)).toBe(2);
    expect(fromApi.has(`${a.district}|alarm|wire-cut`)).toBe(false);
  });
});
