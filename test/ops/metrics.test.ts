import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../hub/hub.ts';
import { productHub } from '../../hub/product.ts';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { generateCity } from '../../simulators/city.ts';
import { device, siteConfig, tempDir, until } from '../edge/helpers.ts';

/**
 * "Prometheus-valid" is checked by Prometheus's own tool: `promtool` (Debian package prometheus)
 * lints both /metrics outputs and the example alert rules. Every metric an alert uses must be in
 * what a running hub or edge really exposes.
 */
const RULES = join(import.meta.dirname, '..', '..', 'deploy', 'prometheus', 'safestar-alerts.yml');
/**
 * promtool's lint findings on prom-client's own default metrics (their names predate the naming
 * rule; Prometheus ingests them fine). Anything else promtool says, parse errors included, fails.
 */
const PROM_CLIENT_LINT = new Set(['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']);
/** Series Prometheus makes itself for every scrape target. */
const SYNTHETIC = new Set(['up']);

let dir: string;
let hub: Hub;
let second: Hub;
let edge: Edge;
let edgeDir: { dir: string; cleanup: () => void };
const city = generateCity({ compounds: 5, seed: 11 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-metrics-'));
  const base = { mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 }, city, log: false as const };
  hub = await startHub({ ...base, dataDir: join(dir, 'a'), ...productHub({ tokens: { departments: {}, operators: [] } }) });
  // A second hub in the same process: process metrics are registered per registry, so no clash.
  second = await startHub({ ...base, dataDir: join(dir, 'b') });
  edgeDir = tempDir();
  edge = await startEdge(siteConfig(edgeDir.dir, hub.mqttUrl, [device('f1'), device('f2')]));
  await until(async () => /^safestar_hub_edges_connected 1$/m.test(await text(`${hub.apiUrl}/metrics`)), 15_000, 'edge connected to the hub');
});
afterAll(async () => {
  await edge?.close();
  await hub?.close();
  await second?.close();
  edgeDir?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function text(url: string): Promise<string> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  return r.text();
}

/** Metric family names in an exposition, from its # TYPE lines (families with no sample yet count too). */
function families(exposition: string): Set<string> {
  const out = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    out.add(m[1]!);
    // Histograms and summaries are queried by their sample names.
    if (m[2] === 'histogram' || m[2] === 'summary') for (const s of ['_bucket', '_sum', '_count']) out.add(`${m[1]}${s}`);
  }
  return out;
}

function promtool(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('/metrics on the hub and the edge', () => {
  it('passes promtool check metrics, with process metrics and the domain gauges', async () => {
    const h = await text(`${hub.apiUrl}/metrics`);
    const e = await text(`${edge.apiUrl}/metrics`);
    const s = await text(`${second.apiUrl}/metrics`);
    for (const [name, body] of [['hub', h], ['edge', e], ['second hub', s]] as const) {
      const r = promtool(['check', 'metrics'], body);
      const findings = r.out.split('\n').filter(Boolean);
      expect(findings.filter((l) => !PROM_CLIENT_LINT.has(l.split(' ')[0]!) || !l.endsWith('non-counter metrics should not have "_total" suffix')), `${name}: promtool check metrics`).toEqual([]);
      // 0 = clean, 3 = lint findings only (the ones above); 1 would be a parse error.
      expect([0, 3], name).toContain(r.status);
      expect(body, name).toMatch(/^safestar_/m);
      expect(body, name).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(body, name).toMatch(/^process_resident_memory_bytes \d/m);
      expect(body, name).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    }
    // Five compounds, none rated yet (no survey, device or case): all unrated, every star level 0.
    expect(h).toMatch(/^safestar_hub_compounds\{stars="unrated"\} 5$/m);
    expect(h).toMatch(/^safestar_hub_compounds\{stars="5"\} 0$/m);
    expect(h).toMatch(/^safestar_hub_devices_offline 0$/m);
    expect(h).toMatch(/^safestar_hub_rating_lag_seconds \d/m);
    expect(e).toMatch(/^safestar_edge_devices_offline 0$/m);
    expect(e).toMatch(/^safestar_edge_outbox_oldest_age_seconds \d/m);
    expect(e).toMatch(/^# TYPE safestar_edge_events_unscored_total counter$/m);
  });
});

describe('deploy/prometheus/safestar-alerts.yml', () => {
  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('uses only metrics a running hub or edge exposes, and covers edge offline, outbox age, dead letters and rating lag', async () => {
    const exposed = new Set([...families(await text(`${hub.apiUrl}/metrics`)), ...families(await text(`${edge.apiUrl}/metrics`))]);
    const exprs = [...readFileSync(RULES, 'utf8').matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);
    const found = Number(/SUCCESS: (\d+) rules found/.exec(promtool(['check', 'rules', RULES]).out)?.[1]);
    expect(exprs.length).toBe(found);
    const used = new Set<string>();
    for (const expr of exprs) {
      // Metric names: identifiers not followed by '(' (functions) and not inside {…} or […], nor keywords.
      const names = expr
        .replace(/\{[^}]*\}/g, ' ')
        .replace(/\[[^\]]*\]/g, ' ')
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
        .match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g)?.filter((n) => !/^(and|or|unless|bool|offset)$/.test(n) && !/^\d/.test(n)) ?? [];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const n of names) used.add(n);
    }
    const missing = [...used].filter((n) => !exposed.has(n) && !SYNTHETIC.has(n));
    expect(missing).toEqual([]);
    for (const m of ['safestar_edge_uplink_connected', 'safestar_edge_outbox_oldest_age_seconds', 'safestar_hub_deadletters_total', 'safestar_edge_deadletters_total', 'safestar_hub_rating_lag_seconds']) {
      expect(used.has(m), m).toBe(true);
    }
  });
});

describe('/health on the edge', () => {
  it('reports unscored events by reason and says why it is degraded', async () => {
    const h = (await (await fetch(`${edge.apiUrl}/health`)).json()) as { status: string; reasons: string[]; scorer: { state: string }; unscored: Record<string, number> };
    // No scorer was asked for here, so the scorer being off does not degrade the edge.
    expect(h.scorer.state).toBe('off');
    expect(h.reasons).not.toContain('scorer-off');
    expect(typeof h.unscored).toBe('object');
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version/);
  });
});
