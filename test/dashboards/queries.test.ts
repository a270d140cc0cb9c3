import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { productHub } from '../../hub/product.ts';
import { generateCity } from '../../simulators/city.ts';
import { buildDashboards, DASHBOARDS } from '../../dashboards/build.ts';
import { expandMacros } from '../../dashboards/influxql.ts';
import { Q } from '../../dashboards/queries.ts';
import { LIFE_SAFETY_TYPES } from '../../protocol/devices.ts';
import type { Event } from '../../protocol/event.ts';
import { edgeClient, publishBatch, until } from '../hub/helpers.ts';

interface PanelJson {
  type: string;
  title: string;
  targets?: { query: string; rawQuery: boolean }[];
  datasource?: { uid: string };
  /** A panel's own relative range ('184d'), else the test's hour. */
  timeFrom?: string;
}

// Grafana cannot run here, so every panel's query runs against a real InfluxDB that the real hub
// filled: a query that names a wrong measurement, field or tag comes back empty and fails.
describe('Grafana dashboards: every panel query against real data', () => {
  let influxd: InfluxdHandle;
  let hub: Hub;
  let dir: string;

  beforeAll(async () => {
    influxd = await startInfluxd();
    dir = mkdtempSync(join(tmpdir(), 'safestar-dash-'));
    const city = generateCity({ compounds: 4, seed: 2 });
    const token = 'police-token-0123456789';
    const operator = 'operator-token-0123456789';
    const product = productHub({ influx: { url: influxd.url, database: 'safestar' }, tokens: { departments: { police: [token] }, operators: [operator] } });
    hub = await startHub({
      dataDir: join(dir, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 },
      influx: { url: influxd.url, database: 'safestar' }, city, log: false, ...product,
    });
    const now = Date.now();
    const c = city.compounds[0]!;
    const dev = (kind: Event['kind']): string => c.devices.find((d) => d.kind === kind)!.id;
    const base = { v: 1 as const, district: c.district, compound: c.id, edge: 'edge-d', attributes: {} };
    const events: Event[] = [
      { ...base, id: 'edge-d.1.aaaa', deviceTime: now - 60_000, receivedAt: now - 59_000, device: dev('access'), kind: 'access', type: 'duress', severity: 'critical' },
      { ...base, id: 'edge-d.1.aaab', deviceTime: now - 50_000, receivedAt: now - 49_000, device: dev('fence'), kind: 'fence', type: 'wire-cut', severity: 'critical', backfilled: true },
      { ...base, id: 'edge-d.1.aaac', deviceTime: now - 40_000, receivedAt: now - 39_000, device: dev('camera'), kind: 'camera', type: 'intrusion-enter', severity: 'major', score: { value: 0.9, threshold: 0.5, model: 'ae16-1', anomalous: true } },
      { ...base, id: 'edge-d.1.aaad', deviceTime: now - 30_000, receivedAt: now - 29_000, device: dev('barrier'), kind: 'barrier', type: 'heartbeat', severity: 'info' },
      // The other life-safety types, so the life-safety panel must list all six (it once listed four).
      { ...base, id: 'edge-d.1.aaaf', deviceTime: now - 58_000, receivedAt: now - 57_000, device: dev('fence'), kind: 'fence', type: 'short-circuit', severity: 'critical' },
      { ...base, id: 'edge-d.1.aaag', deviceTime: now - 56_000, receivedAt: now - 55_000, device: dev('fence'), kind: 'fence', type: 'fence-alarm', severity: 'critical' },
      { ...base, id: 'edge-d.1.aaah', deviceTime: now - 54_000, receivedAt: now - 53_000, device: dev('access'), kind: 'access', type: 'door-forced', severity: 'major' },
      { ...base, id: 'edge-d.1.aaae', deviceTime: now - 20_000, receivedAt: now - 19_000, device: dev('camera'), kind: 'camera', type: 'offline', severity: 'minor', attributes: { origin: 'edge', reason: 'heartbeat-missed' } },
    ];
    const client = await edgeClient(hub.mqttUrl, 'edge-d');
    await publishBatch(client, 'edge-d', events);
    await client.endAsync();
    // A case moves the compound's index, so `safety_index` has history to show.
    const res = await fetch(`${hub.apiUrl}/api/cases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'dash-1', department: 'police', category: 'burglary', compound: c.id, occurredAt: new Date(now - 3600_000).toISOString(), registeredAt: new Date(now - 3000_000).toISOString(), status: 'registered' }),
    });
    expect(res.status).toBeLessThan(300);
    // A compound with no data is unrated and writes no history: a survey rates a second one (5★).
    const sv = await fetch(`${hub.apiUrl}/api/compounds/${city.compounds[1]!.id}/survey`, {
      method: 'PUT', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ satisfaction: 0.98 }),
    });
    expect(sv.status).toBe(200);
    await hub.drain(20_000);
    await until(async () => (await query('SELECT count("index") FROM "safety_index"')).length > 0, 20_000, 'safety_index history');
  });

  afterAll(async () => {
    await hub?.close();
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(q: string): Promise<unknown[]> {
    const r = await fetch(`${influxd.url}/query?db=safestar&q=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { results: { series?: unknown[]; error?: string }[]; error?: string };
    if (body.error) throw new Error(`${body.error}: ${q}`);
    const first = body.results[0];
    if (first?.error) throw new Error(`${first.error}: ${q}`);
    return first?.series ?? [];
  }

  it('builds JSON and provisioning files for every dashboard', () => {
    const files = buildDashboards(join(dir, 'out'), influxd.url, 'safestar');
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(Object.keys(DASHBOARDS).length);
    const ds = readFileSync(files.find((f) => f.includes('datasources'))!, 'utf8');
    expect(ds).toContain(`url: ${influxd.url}`);
    expect(ds).toContain('dbName: safestar');
  });

  it('the life-safety panel shows every life-safety type the edge prioritises, and nothing else', async () => {
    const series = (await query(expandMacros(Q.lifeSafety, Date.now()))) as { columns: string[]; values: unknown[][] }[];
    const col = series[0]!.columns.indexOf('type');
    const types = new Set(series.flatMap((s) => s.values.map((v) => v[col])));
    expect([...types].sort()).toEqual([...LIFE_SAFETY_TYPES].sort());
    expect(LIFE_SAFETY_TYPES.size).toBe(6);
  });

  for (const [name, make] of Object.entries(DASHBOARDS)) {
    it(`${name}: every panel reads the provisioned data source and its query returns data`, async () => {
      const dash = make().build() as unknown as { panels: PanelJson[]; templating: { list: { query: string }[] } };
      const panels = dash.panels.filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(3);
      for (const v of dash.templating.list) expect((await query(v.query)).length, v.query).toBeGreaterThan(0);
      for (const p of panels) {
        expect(p.datasource?.uid, p.title).toBe('safestar-influx');
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          const days = /^(\d+)d$/.exec(p.timeFrom ?? '')?.[1];
          const series = await query(expandMacros(t.query, Date.now(), days ? Number(days) * 86_400_000 : undefined));
          expect(series.length, `${p.title}: ${t.query}`).toBeGreaterThan(0);
        }
      }
    });
  }
});
