import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startInfluxd, type InfluxdHandle } from '../common/influxd.ts';
import { startHub } from '../hub/hub.ts';
import { productHub } from '../hub/product.ts';
import type { WriterOptions } from '../hub/store/influxWriter.ts';
import type { City } from '../protocol/city.ts';
import { edgeTopic } from '../protocol/topics.ts';
import { rawInfluxWrite } from './anchors/influx-raw.ts';
import { LoadGenerator } from './loadgen/driver.ts';
import { mainThreadCpuUs, procCpuUs } from './lib/proc.ts';

export interface HubIngestOptions {
  /** Events per run (each stored once). Default 100,000. */
  events?: number;
  /** Edges publishing in parallel (one MQTT client each, in a child process). Default 4. */
  edges?: number;
  /** Events per uplink batch (EVENT_BATCH_MAX is 1,000). Default 1,000. */
  batchSize?: number;
  /** Unacknowledged batches per edge. Default 4. */
  window?: number;
  /** Use this InfluxDB (http://host:port) instead of a throwaway influxd. */
  influxUrl?: string;
  writer?: Partial<WriterOptions>;
  onProgress?: (msg: string) => void;
  /** Skip the raw baseline (profiling the hub alone, or an alternating suite); rawPointsPerSec is then NaN. */
  skipRaw?: boolean;
  /** The process id of the influxd at influxUrl, to let it settle between phases. */
  influxPid?: number;
}

export interface HubIngestResult {
  /** Events stored in InfluxDB per second through the whole hub (MQTT → dedupe → queue → InfluxDB). */
  hubEventsPerSec: number;
  /**
   * The `influx` client writing the same number of event-shaped points with the hub writer's batch
   * size and concurrency: the mean of one run before and one after the hub's (NaN with skipRaw).
   */
  rawPointsPerSec: number;
  ratio: number;
  events: number;
  stored: number;
  /**
   * Diagnostics, robust to a busy machine: CPU µs per event of the hub process (all threads, the
   * load generator is a child process), of its main thread (the event loop serving the edges), and of influxd.
   */
  cpu: { hubUsPerEvent: number; hubMainThreadUsPerEvent: number; hubInfluxdUsPerEvent: number; rawClientUsPerPoint: number; rawInfluxdUsPerPoint: number };
}

export async function countPoints(url: string, database: string, measurement = 'events', where = ''): Promise<number> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(database)}&q=${encodeURIComponent(`SELECT count(id) FROM ${measurement}${where ? ` WHERE ${where}` : ''}`)}`);
  const body = (await res.json()) as { results?: Array<{ series?: Array<{ values?: unknown[][] }> }> };
  return Number(body.results?.[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
}

/**
 * Wait until influxd is quiet (WAL snapshots and compactions of the previous phase done), so one
 * phase's background work is not billed to the next. Bounded: at most `maxMs`.
 */
export async function settle(pid: number | undefined, maxMs = 20_000): Promise<void> {
  if (!pid) return;
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const a = procCpuUs(pid);
    await new Promise((r) => setTimeout(r, 500));
    if (procCpuUs(pid) - a < 25_000) return; // < 5 % of one core over 500 ms
  }
}

function selfCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const BASE = Date.UTC(2026, 10, 29, 0, 0, 0);

/**
 * A registered city shaped like Xiamen's (2,285 compounds) with `devicesPerCompound` devices each
 * (44 → 100,540 devices). The ingest payloads use the first 8 access devices of each compound.
 */
export function benchCity(compounds = 2285, devicesPerCompound = 44): City {
  const kinds = ['access', 'barrier', 'fence', 'camera'] as const;
  const profile = { access: 'hik-access', barrier: 'anpr-json', fence: 'gbt7946-fence', camera: 'hik-camera-alert' } as const;
  return {
    v: 1,
    seed: 1,
    name: 'bench city',
    districts: Array.from({ length: 6 }, (_, d) => ({ id: `d${d}`, name: `District ${d}` })),
    compounds: Array.from({ length: compounds }, (_, c) => ({
      id: `c${c}`,
      name: `Compound ${c}`,
      district: `d${c % 6}`,
      households: 200 + ((c * 37) % 1800),
      lat: 24.4 + (c % 100) / 1000,
      lon: 118.0 + Math.floor(c / 100) / 1000,
      devices: Array.from({ length: devicesPerCompound }, (_, k) => {
        const kind = k < 8 ? 'access' : kinds[k % 4]!;
        return { id: k < 8 ? `c${c}-acc-${k}` : `c${c}-${kind}-${k}`, kind, profile: profile[kind], heartbeatSeconds: 60 };
      }),
    })),
  };
}

/** Edge-shaped uplink payloads: unique ids, realistic tags, the raw baseline's field set. */
function payloads(edge: string, edgeIdx: number, edges: number, perEdge: number, batchSize: number): string[] {
  const out: string[] = [];
  for (let b = 0; b < perEdge; b += batchSize) {
    const events = [];
    for (let j = b; j < Math.min(perEdge, b + batchSize); j++) {
      const i = j * edges + edgeIdx;
      const c = i % 2285;
      events.push({
        v: 1,
        id: `${edge}.${i.toString(36)}.${i}`,
        deviceTime: BASE + i,
        receivedAt: BASE + i + 3,
        district: `d${c % 6}`,
        compound: `c${c}`,
        edge,
        device: `c${c}-acc-${i % 8}`,
        kind: 'access',
        type: 'granted',
        severity: 'info',
        attributes: { method: 'card', door: 1 },
      });
    }
    out.push(JSON.stringify({ v: 1, edge, events }));
  }
  return out;
}

/** Hub ingest throughput against the raw `influx` client, measured in the same run (issue 7). */
export async function benchHubIngest(opts: HubIngestOptions = {}): Promise<HubIngestResult> {
  const events = opts.events ?? 100_000;
  const edges = opts.edges ?? 4;
  const batchSize = opts.batchSize ?? 1000;
  const say = opts.onProgress ?? (() => {});
  let influxd: InfluxdHandle | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'safestar-bench-hub-'));
  const tag = `${process.pid}_${Date.now()}`;
  try {
    if (!opts.influxUrl) influxd = await startInfluxd();
    const url = opts.influxUrl ?? influxd!.url;

    if (!opts.skipRaw) say(`raw influx client: ${events} points`);
    const ipid = influxd?.process.pid ?? opts.influxPid;
    await settle(ipid);
    let c0 = selfCpuUs();
    let i0 = procCpuUs(ipid);
    const rawBefore = opts.skipRaw ? NaN : await rawInfluxWrite(url, `bench_raw_${tag}`, events);
    // (the raw figure's CPU includes building its points, as the influx client must)
    const rawClientUsPerPoint = (selfCpuUs() - c0) / events;
    const rawInfluxdUsPerPoint = (procCpuUs(ipid) - i0) / events;
    const rawAfter = async (): Promise<number> => {
      if (opts.skipRaw) return NaN;
      await settle(ipid);
      say(`raw influx client again (${events} points)`);
      return rawInfluxWrite(url, `bench_raw2_${tag}`, events);
    };

    const database = `bench_hub_${tag}`;
    const hub = await startHub({
      dataDir, mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 }, influx: { url, database },
      city: benchCity(), log: false, writer: opts.writer,
      // The product's hub: the safety-index engine rates every event, as `safestar hub` does.
      ...productHub({ influx: { url, database } }),
    });
    try {
      const perEdge = Math.ceil(events / edges);
      const clients = Array.from({ length: edges }, (_, k) => {
        const edge = `bench-edge-${k}`;
        return { clientId: edge, username: edge, topic: edgeTopic(edge, 'events'), payloads: payloads(edge, k, edges, perEdge, batchSize) };
      });
      const total = clients.reduce((n, c) => n + c.payloads.length, 0);
      const { gen } = await LoadGenerator.connect({ url: hub.mqttUrl, clients, qos: 1, window: opts.window ?? 4, durationMs: 600_000, maxPerClient: Math.ceil(perEdge / batchSize) });
      say(`hub: ${edges} edges × ${Math.ceil(perEdge / batchSize)} batches of ${batchSize}`);
      await settle(ipid);
      c0 = selfCpuUs();
      const m0 = mainThreadCpuUs();
      i0 = procCpuUs(ipid);
      const t0 = performance.now();
      const sent = await gen.run();
      await hub.drain(600_000);
      const seconds = (performance.now() - t0) / 1000;
      const hubUs = selfCpuUs() - c0;
      const hubMainUs = mainThreadCpuUs() - m0;
      const hubInfluxdUs = procCpuUs(ipid) - i0;
      await gen.stop();
      if (sent.acked !== total) throw new Error(`SS_BENCH_HUB_LOSS: ${total} batches sent, ${sent.acked} acknowledged`);
      const stored = hub.stats().written;
      const counted = await countPoints(url, database);
      if (counted !== edges * perEdge) throw new Error(`SS_BENCH_HUB_LOSS: ${edges * perEdge} events sent, ${counted} points in InfluxDB`);
      const hubEventsPerSec = stored / seconds;
      await hub.close();
      const rawPointsPerSec = (rawBefore + (await rawAfter())) / 2;
      return {
        hubEventsPerSec, rawPointsPerSec, ratio: hubEventsPerSec / rawPointsPerSec, events: edges * perEdge, stored,
        cpu: { hubUsPerEvent: hubUs / stored, hubMainThreadUsPerEvent: hubMainUs / stored, hubInfluxdUsPerEvent: hubInfluxdUs / stored, rawClientUsPerPoint, rawInfluxdUsPerPoint },
      };
    } finally {
      await hub.close();
    }
  } finally {
    await influxd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/hub-ingest.ts [events] [edges]`: one run, JSON on stdout.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchHubIngest({
    events: Number(process.argv[2] ?? 100_000),
    edges: Number(process.argv[3] ?? 4),
    onProgress: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
