import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import mqtt from 'mqtt';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { productHub } from '../../hub/product.ts';
import { encoderFor } from '../../simulators/vendors/index.ts';
import { deviceTopic } from '../../protocol/topics.ts';
import type { LoadClient } from '../loadgen/protocol.ts';
import { LoadGenerator } from '../loadgen/driver.ts';
import { spawnEdge, type EdgeProcess } from '../lib/edge-process.ts';
import { percentile, slope, summarize } from '../lib/stats.ts';
import { rssMiB } from '../lib/rss.ts';
import type { Row } from '../lib/report.ts';
import { benchSite, type BenchSite } from './fixtures.ts';

/** Node-RED with join + batched InfluxDB writes reached 15.5k events/s here (issue 7). */
export const NODE_RED_BATCHED_PER_SEC = 15_500;

interface Rig {
  influxd: InfluxdHandle;
  hub: Hub;
  edge: EdgeProcess;
  site: BenchSite;
  influx: InfluxDB;
  dir: string;
  close(): Promise<void>;
}

/** influxd + hub (this process) + the real edge CLI (its own process) for `devices` devices. */
async function rig(devices: number): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-e2e-'));
  const influxd = await startInfluxd();
  const site0 = benchSite({ devices, edgeId: 'edge-e2e', hubUrl: 'mqtt://127.0.0.1:1', dataDir: join(dir, 'edge') });
  const hub = await startHub({
    dataDir: join(dir, 'hub'),
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    influx: { url: influxd.url, database: 'safestar' },
    city: site0.city,
    log: false,
    // The product's hub (index engine, cases API, pages), as `safestar hub` runs it.
    ...productHub({ influx: { url: influxd.url, database: 'safestar' } }),
  });
  const site: BenchSite = { ...site0, config: { ...site0.config, uplink: { ...site0.config.uplink, url: hub.mqttUrl } } };
  const file = join(dir, 'site.json');
  writeFileSync(file, JSON.stringify(site.config));
  const edge = await spawnEdge(file);
  const influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'safestar' });
  await influx.createDatabase('safestar'); // the hub creates it on first write; queries may come first
  return {
    influxd, hub, edge, site, influx, dir,
    async close() {
      await edge.stop();
      await hub.close();
      await influxd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stored(influx: InfluxDB, where = ''): Promise<number> {
  const rows = await influx.query<{ count: number }>(`SELECT count("id") AS count FROM "events"${where}`);
  return rows[0]?.count ?? 0;
}

/** Whole path, closed loop: events/s counted as points in InfluxDB, with no loss. */
export async function e2eThroughput(devices: number, durationMs: number): Promise<{ eventsPerSec: number; acked: number; stored: number }> {
  const r = await rig(devices);
  try {
    const { gen } = await LoadGenerator.connect({ url: r.edge.brokerUrl, clients: r.site.clients, qos: 1, window: 16, durationMs });
    const t0 = Date.now();
    const res = await gen.run();
    await gen.stop();
    const deadline = Date.now() + 180_000;
    while (r.hub.stats().written < res.acked && Date.now() < deadline) await new Promise((x) => setTimeout(x, 100));
    const elapsed = (Date.now() - t0) / 1000;
    const n = await stored(r.influx);
    return { eventsPerSec: Math.min(n, res.acked) / elapsed, acked: res.acked, stored: n };
  } finally {
    await r.close();
  }
}

export interface LatencyResult {
  samples: number[];
  p50: number;
  p99: number;
  max: number;
  backgroundPerSec: number;
  /** RSS slopes over the run (MiB per minute), from samples every 5 s after a 20 % warm-up. */
  hubSlopeMiBPerMin: number;
  edgeSlopeMiBPerMin: number;
  hubRssMiB: number;
  edgeRssMiB: number;
}

/**
 * Latency at a fixed city-like load: background devices publish `rate` events/s; a probe device
 * publishes one access event every `probeEveryMs`; each probe's latency is publish → the point is
 * in InfluxDB. The hub updates the compound's rating right after its durable commit, before the
 * InfluxDB write of the same event, so the InfluxDB time bounds "stored and reflected" both.
 */
export async function e2eLatency(devices: number, rate: number, durationMs: number, probeEveryMs = 100): Promise<LatencyResult> {
  const r = await rig(devices);
  try {
    const probeDev = r.site.config.devices.find((d) => d.kind === 'access')!;
    const compound = r.site.city.compounds.find((c) => c.id === probeDev.compound)!;
    const background: LoadClient[] = r.site.clients.filter((c) => c.clientId !== probeDev.id);
    const { gen } = await LoadGenerator.connect({ url: r.edge.brokerUrl, clients: background, qos: 1, window: 16, durationMs, ratePerSecond: rate });
    const probe = await mqtt.connectAsync(r.edge.brokerUrl, { clientId: probeDev.id, username: probeDev.id, password: passwordOf(r.site, probeDev.id), reconnectPeriod: 0 });
    const where = ` WHERE "device" = '${probeDev.id}'`;
    const base = await stored(r.influx, where);
    const samples: number[] = [];
    const t0 = Date.now();
    const mem: { t: number; hub: number; edge: number }[] = [];
    // With --expose-gc (npm run bench) the hub's sample follows a full GC, so its slope shows live
    // memory rather than how lazily V8 collects; the edge process is sampled as it is.
    const gc = (globalThis as { gc?: () => void }).gc;
    const sampler = setInterval(() => {
      gc?.();
      mem.push({ t: (Date.now() - t0) / 60_000, hub: rssMiB(), edge: rssMiB(r.edge.child.pid) });
    }, 5000);
    const loadDone = gen.run();
    const enc = encoderFor(probeDev.profile);
    const end = Date.now() + durationMs - 1000;
    let seq = 0;
    while (Date.now() < end) {
      const t = Date.now();
      seq++;
      const payload = enc.encode(
        { kind: 'access', channel: 'events', time: t, deviceTime: t, events: [{ type: 'granted', severity: 'info', attributes: { card: `9${String(seq).padStart(9, '0')}`, method: 'card', door: 1 } }] },
        { device: { id: probeDev.id, kind: 'access', profile: probeDev.profile, zone: 1 }, compound: { id: compound.id, lat: compound.lat, lon: compound.lon }, seq, tzOffsetMinutes: 480 },
      ).payload;
      await probe.publishAsync(deviceTopic(compound.id, 'access', probeDev.id, 'events'), payload, { qos: 1 });
      // Poll InfluxDB for the probe's point (10 ms resolution, bounded at 5 s).
      let landed = Number.NaN;
      while (Date.now() - t < 5000) {
        if ((await stored(r.influx, where)) >= base + seq) {
          landed = Date.now();
          break;
        }
        await new Promise((x) => setTimeout(x, 10));
      }
      samples.push(landed - t);
      const wait = probeEveryMs - (Date.now() - t);
      if (wait > 0) await new Promise((x) => setTimeout(x, wait));
    }
    const bg = await loadDone;
    clearInterval(sampler);
    await gen.stop();
    const steady = mem.slice(Math.floor(mem.length * 0.2));
    await probe.endAsync();
    const ok = samples.filter((s) => Number.isFinite(s));
    return {
      samples,
      p50: percentile(ok, 50),
      p99: percentile(ok, 99),
      max: ok.length === samples.length ? Math.max(...ok) : Number.POSITIVE_INFINITY,
      backgroundPerSec: bg.acked / (bg.elapsedMs / 1000),
      hubSlopeMiBPerMin: slope(steady.map((m) => m.t), steady.map((m) => m.hub)),
      edgeSlopeMiBPerMin: slope(steady.map((m) => m.t), steady.map((m) => m.edge)),
      hubRssMiB: mem[mem.length - 1]?.hub ?? Number.NaN,
      edgeRssMiB: mem[mem.length - 1]?.edge ?? Number.NaN,
    };
  } finally {
    await r.close();
  }
}

function passwordOf(site: BenchSite, id: string): string | undefined {
  return site.clients.find((c) => c.clientId === id)?.password;
}

export async function benchE2e(o: { devices: number; durationMs: number; repeats: number; latencyRate: number; latencyMs: number; say: (s: string) => void }): Promise<Row[]> {
  const rates: number[] = [];
  const notes: string[] = [];
  for (let i = 0; i < o.repeats; i++) {
    o.say(`e2e: throughput run ${i + 1}/${o.repeats} (${o.devices} devices → edge process → hub → influxd)…`);
    const t = await e2eThroughput(o.devices, o.durationMs);
    rates.push(t.eventsPerSec);
    if (t.stored !== t.acked) notes.push(`run ${i + 1}: stored ${t.stored} of ${t.acked} acked`);
  }
  o.say(`e2e: latency at ${o.latencyRate} events/s…`);
  const lat = await e2eLatency(o.devices, o.latencyRate, o.latencyMs);
  const thr = summarize(rates);
  return [
    {
      name: 'whole path device → edge → hub → InfluxDB (closed loop)',
      unit: 'events/s stored',
      value: thr,
      baseline: { name: 'Node-RED batched (15.5k, measured in issue 7)', value: summarize([NODE_RED_BATCHED_PER_SEC]) },
      ratio: thr.median / NODE_RED_BATCHED_PER_SEC,
      target: '≥ 23,000 events/s',
      met: thr.median >= 23_000 && notes.length === 0,
      ...(notes.length ? { note: `LOSS: ${notes.join('; ')}` } : {}),
    },
    {
      name: `end-to-end latency p50 at ${lat.backgroundPerSec.toFixed(0)} events/s (publish → stored in InfluxDB)`,
      unit: 'ms',
      value: summarize([lat.p50]),
      note: `${lat.samples.length} probes`,
    },
    {
      name: 'end-to-end latency p99',
      unit: 'ms',
      value: summarize([lat.p99]),
      target: '< 250 ms',
      met: lat.p99 < 250,
    },
    { name: 'end-to-end latency max', unit: 'ms', value: summarize([lat.max]) },
    {
      name: `hub RSS slope during the ${(o.latencyMs / 60_000).toFixed(1)}-min run (ends at ${lat.hubRssMiB.toFixed(0)} MiB)`,
      unit: 'MiB/min',
      value: summarize([lat.hubSlopeMiBPerMin]),
      target: 'flat (|slope| < 2 MiB/min)',
      met: Math.abs(lat.hubSlopeMiBPerMin) < 2,
    },
    {
      name: `edge RSS slope during the same run (ends at ${lat.edgeRssMiB.toFixed(0)} MiB)`,
      unit: 'MiB/min',
      value: summarize([lat.edgeSlopeMiBPerMin]),
      target: 'flat (|slope| < 2 MiB/min)',
      met: Math.abs(lat.edgeSlopeMiBPerMin) < 2,
    },
  ];
}
