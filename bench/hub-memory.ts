import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startInfluxd, type InfluxdHandle } from '../common/influxd.ts';
import { startHub } from '../hub/hub.ts';
import { productHub } from '../hub/product.ts';
import { StateDb } from '../hub/store/stateDb.ts';
import { CaseStore } from '../hub/cases/store.ts';
import { generateCaseHistories } from '../simulators/cases/generate.ts';
import { edgeTopic } from '../protocol/topics.ts';
import { benchCity } from './hub-ingest.ts';
import { LoadGenerator } from './loadgen/driver.ts';

export interface HubMemoryOptions {
  /** How long to ingest at `ratePerSecond` while sampling RSS (ms). Default 60 s. */
  durationMs?: number;
  /** Events per second across edges. Default 5,000. */
  ratePerSecond?: number;
  /** Edges streaming (one MQTT client each). Default 1,000 (issue 11: the product hub with 1,000 edges). */
  edges?: number;
  /** Years of simulated cases in the state before the hub starts. Default 1. */
  caseYears?: number;
  compounds?: number;
  devicesPerCompound?: number;
  influxUrl?: string;
  onProgress?: (msg: string) => void;
  /**
   * Collect garbage before each sample (needs `node --expose-gc`; default on when available): the
   * slope then shows live memory, not how lazily V8 collects. Without it, RSS climbs for minutes
   * before the first major GC and looks like a leak that isn't one.
   */
  forceGc?: boolean;
}

const gc = (globalThis as { gc?: () => void }).gc;

export interface HubMemoryResult {
  /** Registered city size. */
  compounds: number;
  devices: number;
  /** Cases in the state (caseYears of them). */
  cases: number;
  edges: number;
  /** RSS right after start with the city registered (MiB). */
  rssStartMiB: number;
  /** Highest RSS while ingesting (MiB). */
  rssMaxMiB: number;
  /** Least-squares slope of RSS over the second half of the run (MiB per minute): ~0 = flat. */
  rssSlopeMiBPerMin: number;
  events: number;
  /** Whether samples were taken after a forced GC (see HubMemoryOptions.forceGc). */
  gcForced: boolean;
}

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Hub RSS with a whole city registered (issue 7: 2,285 compounds, 100,000 devices, target < 1 GiB)
 * while edges stream events at a city-like rate; the slope says whether dedupe, queue and rating
 * memory stay flat. The hub runs in this process (RSS includes Node and the TypeScript loader).
 */
export async function benchHubMemory(opts: HubMemoryOptions = {}): Promise<HubMemoryResult> {
  const durationMs = opts.durationMs ?? 60_000;
  const rate = opts.ratePerSecond ?? 5000;
  const edges = opts.edges ?? 1000;
  const say = opts.onProgress ?? (() => {});
  const city = benchCity(opts.compounds ?? 2285, opts.devicesPerCompound ?? 44);
  const devices = city.compounds.reduce((n, c) => n + c.devices.length, 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'safestar-bench-hubmem-'));
  let influxd: InfluxdHandle | undefined;
  try {
    // The product's state before start: the city and a year of cases (as the hub's own API would
    // have stored them), so the index engine owns, loads and rates what a city hub does.
    const now = Date.now();
    const cases = seedCases(join(dataDir, 'state.db'), city, now, (opts.caseYears ?? 1) * 365);
    say(`hub memory: ${cases} cases for ${city.compounds.length} compounds in the state`);
    if (!opts.influxUrl) influxd = await startInfluxd();
    const url = opts.influxUrl ?? influxd!.url;
    const influx = { url, database: `bench_mem_${process.pid}_${Date.now()}` };
    const hub = await startHub({
      dataDir, mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 },
      influx, city, log: false,
      // The engine users run (safestar hub): index engine, cases API, pages; no tokens needed here.
      ...productHub({ influx, tokens: { departments: {}, operators: [] } }),
    });
    try {
      const rssStartMiB = process.memoryUsage().rss / 2 ** 20;
      // 100-event batches, unique ids: enough payloads for the whole run, sent once each.
      const batch = 100;
      const perEdge = Math.ceil((rate * durationMs) / 1000 / edges / batch) + 1;
      const base = Date.now() - 3_600_000;
      const clients = Array.from({ length: edges }, (_, k) => {
        const edge = `mem-edge-${k}`;
        const payloads: string[] = [];
        for (let b = 0; b < perEdge; b++) {
          const events = [];
          for (let j = 0; j < batch; j++) {
            const i = (b * batch + j) * edges + k;
            const c = i % city.compounds.length;
            const cp = city.compounds[c]!;
            const dev = cp.devices[i % cp.devices.length]!;
            events.push({
              v: 1, id: `${edge}.${i}`, deviceTime: base + (i % 3_000_000), receivedAt: base + (i % 3_000_000) + 2,
              district: cp.district, compound: cp.id, edge, device: dev.id, kind: dev.kind, type: 'heartbeat', severity: 'info',
              attributes: { uptimeS: i },
            });
          }
          payloads.push(JSON.stringify({ v: 1, edge, events }));
        }
        return { clientId: edge, username: edge, topic: edgeTopic(edge, 'events'), payloads };
      });
      const { gen } = await LoadGenerator.connect({
        url: hub.mqttUrl, clients, qos: 1, window: 4, durationMs, ratePerSecond: rate / batch, maxPerClient: perEdge,
      });
      // The payloads now live in the load generator's process: drop this process's copy, so the RSS
      // measured below is the hub's.
      for (const c of clients) c.payloads = [];
      gc?.();
      const xs: number[] = [];
      const ys: number[] = [];
      let rssMax = rssStartMiB;
      const t0 = Date.now();
      const sampler = setInterval(() => {
        if (opts.forceGc !== false) gc?.();
        const rss = process.memoryUsage().rss / 2 ** 20;
        rssMax = Math.max(rssMax, rss);
        const t = (Date.now() - t0) / 60_000;
        if (Date.now() - t0 > durationMs / 2) {
          xs.push(t);
          ys.push(rss);
        }
        say(`hub memory: ${Math.round(rss)} MiB RSS, heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB, ${hub.stats().received} events`);
      }, 1000);
      await gen.run();
      clearInterval(sampler);
      await gen.stop();
      const events = hub.stats().received;
      return { compounds: city.compounds.length, devices, cases, edges, rssStartMiB, rssMaxMiB: rssMax, rssSlopeMiBPerMin: slope(xs, ys), events, gcForced: opts.forceGc !== false && gc !== undefined };
    } finally {
      await hub.close();
    }
  } finally {
    await influxd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Register the city and store `days` of simulated cases in the hub's state file. */
function seedCases(file: string, city: ReturnType<typeof benchCity>, at: number, days: number): number {
  const state = new StateDb(file);
  try {
    state.registerCity(city);
    const store = new CaseStore(state.db);
    let n = 0;
    state.db.transaction(() => {
      for (const h of generateCaseHistories(city, { seed: 7, at, days })) {
        store.setSurvey(h.compound.id, h.survey, at);
        for (const c of h.cases) store.upsertCase(c, c.registeredAt);
        n += h.cases.length;
      }
    })();
    return n;
  } finally {
    state.close();
  }
}

// `node --import tsx bench/hub-memory.ts [seconds] [rate] [edges] [compounds]`: one run, JSON on stdout.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchHubMemory({
    durationMs: Number(process.argv[2] ?? 60) * 1000,
    ratePerSecond: Number(process.argv[3] ?? 5000),
    edges: Number(process.argv[4] ?? 1000),
    compounds: Number(process.argv[5] ?? 2285),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
