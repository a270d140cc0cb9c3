import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { safetyIndex, type SafetyIndexWiring } from '../../hub/index/wire.ts';
import { edgeTopic } from '../../protocol/topics.ts';
import type { Event } from '../../protocol/event.ts';
import { TOKENS, smallCity } from './api-helpers.ts';

const DB = 'safestar_index_test';

async function influxRows(url: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${url}/query?db=${DB}&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
  if (body.results[0]?.error) throw new Error(body.results[0].error);
  return body.results[0]?.series?.[0]?.values ?? [];
}

async function until(fn: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('safety index inside the real hub (aedes, SQLite, InfluxDB)', () => {
  let influx: InfluxdHandle;
  let hub: Hub;
  let dir: string;
  let idx: SafetyIndexWiring;

  beforeAll(async () => {
    influx = await startInfluxd();
    dir = mkdtempSync(join(tmpdir(), 'ss-index-hub-'));
    const target = { url: influx.url, database: DB };
    const wiring = (idx = safetyIndex({ history: target, tokens: { departments: { police: [TOKENS.police] }, operators: [TOKENS.operator] } }));
    hub = await startHub({
      dataDir: dir,
      mqtt: { host: '127.0.0.1', port: 0 },
      api: { host: '127.0.0.1', port: 0 },
      city: smallCity(),
      log: false,
      rating: wiring.rating,
      apiPlugins: wiring.apiPlugins,
    });
  });

  afterAll(async () => {
    await hub?.close();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a homicide posted over HTTP takes the plaque to 0★ at once; history reaches safety_index', async () => {
    const now = Date.now();
    // No survey, no device heard, no case yet: unrated until an operator enters the survey.
    expect(((await (await fetch(`${hub.apiUrl}/api/compounds/c0001`)).json()) as { stars: number | null }).stars).toBeNull();
    const sv = await fetch(`${hub.apiUrl}/api/compounds/c0001/survey`, { method: 'PUT', headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ satisfaction: 0.97 }) });
    expect(sv.status).toBe(200);
    const before = (await (await fetch(`${hub.apiUrl}/api/compounds/c0001`)).json()) as { stars: number };
    expect(before.stars).toBe(5);
    const res = await fetch(`${hub.apiUrl}/api/cases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.police}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'XM-2026-HOM-1', department: 'police', category: 'homicide', compound: 'c0001', occurredAt: now - 3_600_000, registeredAt: now - 60_000, status: 'investigating' }),
    });
    expect(res.status).toBe(201);
    const c = (await (await fetch(`${hub.apiUrl}/api/compounds/c0001`)).json()) as { stars: number; detail: { veto: { category: string } } };
    expect(c.stars).toBe(0);
    expect(c.detail.veto.category).toBe('homicide');
    // Public JSON carries no case id; the private view (a token) names it.
    expect(JSON.stringify(c)).not.toContain('XM-2026-HOM-1');
    const priv = (await (await fetch(`${hub.apiUrl}/api/compounds/c0001/detail`, { headers: { authorization: `Bearer ${TOKENS.operator}` } })).json()) as { detail: { veto: { case: { id: string } } } };
    expect(priv.detail.veto.case.id).toBe('XM-2026-HOM-1');
    const list = (await (await fetch(`${hub.apiUrl}/api/compounds`)).json()) as { id: string; stars: number }[];
    expect(list.find((x) => x.id === 'c0001')?.stars).toBe(0);

    await idx.engine()?.history.flush();
    const rows = await influxRows(influx.url, `SELECT stars, "index", crime FROM safety_index WHERE compound = 'c0001' ORDER BY time`);
    expect(rows.map((r) => r[1])).toEqual([5, 0]);
    expect(idx.engine()?.history.depth()).toBe(0);
  });

  it('a device alarm from an edge waits for an operator; confirmed, it lowers the index', async () => {
    const client = await connectAsync(hub.mqttUrl, { clientId: 'edge-x', username: 'edge-x', reconnectPeriod: 0 });
    const t = Date.now() - 5000;
    const ev: Event = {
      v: 1, id: `edge-x:${t}:000001`, deviceTime: t, receivedAt: t + 5, district: 'siming', compound: 'c0002', edge: 'edge-x',
      device: 'c0002-fen-01', kind: 'fence', type: 'wire-cut', severity: 'critical', attributes: { zone: 1 },
    };
    await client.publishAsync(edgeTopic('edge-x', 'events'), JSON.stringify({ v: 1, edge: 'edge-x', events: [ev] }), { qos: 1 });
    await client.endAsync();
    const auth = { authorization: `Bearer ${TOKENS.operator}` };
    await until(async () => ((await (await fetch(`${hub.apiUrl}/api/alarms?status=pending`, { headers: auth })).json()) as unknown[]).length > 0);
    const before = (await (await fetch(`${hub.apiUrl}/api/compounds/c0002`)).json()) as { index: number };
    const ok = await fetch(`${hub.apiUrl}/api/alarms/${encodeURIComponent(ev.id)}/confirm`, { method: 'POST', headers: auth });
    expect(ok.status).toBe(200);
    const after = (await (await fetch(`${hub.apiUrl}/api/compounds/c0002/detail`, { headers: auth })).json()) as { index: number; detail: { subScores: { iot: { drivers: { id: string }[] } } } };
    expect(after.index).toBeLessThan(before.index);
    expect(after.detail.subScores.iot.drivers[0]?.id).toBe(ev.id);
  });
});
