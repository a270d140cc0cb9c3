import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { productHub } from '../../hub/product.ts';
import { encoderFor } from '../../simulators/vendors/index.ts';
import { deviceTopic } from '../../protocol/topics.ts';
import { bareAedesRelay } from '../anchors/bare-aedes.ts';
import { nodeRedInflux, waitForCount } from '../anchors/node-red-influx.ts';
import { countPoints } from '../hub-ingest.ts';
import type { LoadClient } from '../loadgen/protocol.ts';
import { LoadGenerator } from '../loadgen/driver.ts';
import { spawnEdge, type EdgeProcess } from '../lib/edge-process.ts';
import { alternate, loads, pairedRatio, values, type PairedRatio } from '../lib/pairs.ts';
import { openLoopLatency, type LatencySummary } from '../lib/latency.ts';
import { slope, summarize } from '../lib/stats.ts';
import { rssMiB } from '../lib/rss.ts';
import type { Row } from '../lib/report.ts';
import { benchSite, type BenchSite } from './fixtures.ts';

interface Rig {
  hub: Hub;
  edge: EdgeProcess;
  site: BenchSite;
  database: string;
  close(): Promise<void>;
}

let rigs = 0;

/** hub (this process, the product's hub) + the real edge CLI (its own process), writing to `influxd`. */
async function rig(site0: BenchSite, influxd: InfluxdHandle): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-e2e-'));
  const database = `e2e_${process.pid}_${rigs++}`;
  const influx = { url: influxd.url, database };
  const hub = await startHub({
    dataDir: join(dir, 'hub'),
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    influx,
    city: site0.city,
    log: false,
    // The product's hub (index engine, cases API, pages), as `safestar hub` runs it.
    ...productHub({ influx }),
  });
  const site: BenchSite = { ...site0, config: { ...site0.config, dataDir: join(dir, 'edge'), uplink: { ...site0.config.uplink, url: hub.mqttUrl } } };
  const file = join(dir, 'site.json');
  writeFileSync(file, JSON.stringify(site.config));
  let edge: EdgeProcess;
  try {
    edge = await spawnEdge(file);
  } catch (e) {
    await hub.close();
    throw e;
  }
  // The hub creates the database on first write; counting may come first.
  await fetch(`${influxd.url}/query?q=${encodeURIComponent(`CREATE DATABASE "${database}"`)}`, { method: 'POST' });
  return {
    hub, edge, site, database,
    async close() {
      await edge.stop();
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whole path, closed loop: events/s counted as points in InfluxDB, over the run plus its drain. */
export async function e2eThroughput(site: BenchSite, influxd: InfluxdHandle, durationMs: number): Promise<{ eventsPerSec: number; acked: number; stored: number }> {
  const r = await rig(site, influxd);
  try {
    // Each device message at most once: the edge names an event by its device message (vendor
    // serial + device time + type) and the hub stores a resent one once, so a replayed payload is
    // a duplicate, not an event (Node-RED would store it twice). The load generator makes fresh
    // messages without limit (loadgen/fresh.ts), so a busy device never runs out of them.
    const { gen } = await LoadGenerator.connect({ url: r.edge.brokerUrl, clients: r.site.clients, qos: 1, window: 16, durationMs });
    try {
      const t0 = Date.now();
      const res = await gen.run();
      const { n, lastGrowthAt } = await waitForCount(() => countPoints(influxd.url, r.database), res.acked);
      const seconds = (Math.max(t0 + res.elapsedMs, lastGrowthAt) - t0) / 1000;
      return { eventsPerSec: Math.min(n, res.acked) / seconds, acked: res.acked, stored: n };
    } finally {
      await gen.stop();
    }
  } finally {
    await r.close();
  }
}

export interface LatencyResult extends LatencySummary {
  backgroundPerSec: number;
  hubSlopeMiBPerMin: number;
  edgeSlopeMiBPerMin: number;
  hubRssMiB: number;
  edgeRssMiB: number;
}

/** Spin one core in another process (the "another process burns one core" condition). */
function burnOneCore(): { stop(): void } {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  return { stop: () => void child.kill('SIGKILL') };
}

/**
 * Latency at a fixed city-like load: background devices publish `rate` events/s; a probe device
 * publishes an access event every `probeEveryMs` on a fixed schedule (open loop: a slow answer never
 * delays the next probe), and each probe's latency runs from its scheduled send time until its point
 * is in InfluxDB. The hub updates the compound's rating right after its durable commit, before the
 * InfluxDB write of the same event, so this bounds "stored and reflected" both.
 */
export async function e2eLatency(site0: BenchSite, influxd: InfluxdHandle, rate: number, durationMs: number, o: { probeEveryMs?: number; timeoutMs?: number; burn?: boolean } = {}): Promise<LatencyResult> {
  const r = await rig(site0, influxd);
  const burner = o.burn ? burnOneCore() : undefined;
  try {
    const probeDev = r.site.config.devices.find((d) => d.kind === 'access')!;
    const compound = r.site.city.compounds.find((c) => c.id === probeDev.compound)!;
    // Background: every other device, open loop, an equal share of `rate` each, fresh messages
    // throughout (see e2eThroughput). backgroundPerSec reports what was sent.
    const others = r.site.clients.filter((c) => c.clientId !== probeDev.id);
    const background: LoadClient[] = others.map((c) => ({ ...c, ratePerSecond: rate / others.length }));
    const { gen } = await LoadGenerator.connect({ url: r.edge.brokerUrl, clients: background, qos: 1, window: 64, durationMs });
    const probe = await mqtt.connectAsync(r.edge.brokerUrl, { clientId: probeDev.id, username: probeDev.id, password: r.site.clients.find((c) => c.clientId === probeDev.id)?.password, reconnectPeriod: 0 });
    const enc = encoderFor(probeDev.profile);
    const topic = deviceTopic(compound.id, 'access', probeDev.id, 'events');
    const mem: { t: number; hub: number; edge: number }[] = [];
    const t0 = Date.now();
    // With --expose-gc (npm run bench) the hub's sample follows a full GC; the edge is sampled as it is.
    const gc = (globalThis as { gc?: () => void }).gc;
    const sampler = setInterval(() => {
      gc?.();
      mem.push({ t: (Date.now() - t0) / 60_000, hub: rssMiB(), edge: rssMiB(r.edge.child.pid) });
    }, 5000);
    const loadDone = gen.run();
    try {
      const lat = await openLoopLatency({
        everyMs: o.probeEveryMs ?? 100,
        durationMs: durationMs - 1000,
        timeoutMs: o.timeoutMs ?? 5000,
        send: (seq, at) => {
          const payload = enc.encode(
            { kind: 'access', channel: 'events', time: at, deviceTime: at, events: [{ type: 'granted', severity: 'info', attributes: { card: `9${String(seq).padStart(9, '0')}`, method: 'card', door: 1 } }] },
            { device: { id: probeDev.id, kind: 'access', profile: probeDev.profile, zone: 1 }, compound: { id: compound.id, lat: compound.lat, lon: compound.lon }, seq, tzOffsetMinutes: 480 },
          ).payload;
          probe.publish(topic, payload, { qos: 1 });
        },
        landed: () => countPoints(influxd.url, r.database, 'events', `"device" = '${probeDev.id}'`),
      });
      const bg = await loadDone;
      const steady = mem.slice(Math.floor(mem.length * 0.2));
      return {
        ...lat,
        backgroundPerSec: bg.acked / (bg.elapsedMs / 1000),
        hubSlopeMiBPerMin: slope(steady.map((m) => m.t), steady.map((m) => m.hub)),
        edgeSlopeMiBPerMin: slope(steady.map((m) => m.t), steady.map((m) => m.edge)),
        hubRssMiB: mem.at(-1)?.hub ?? Number.NaN,
        edgeRssMiB: mem.at(-1)?.edge ?? Number.NaN,
      };
    } finally {
      clearInterval(sampler);
      await gen.stop();
      await probe.endAsync();
    }
  } finally {
    burner?.stop();
    await r.close();
  }
}

export interface E2eBenchOptions {
  devices: number;
  durationMs: number;
  rounds: number;
  latencyRate: number;
  latencyMs: number;
  /** Also measure latency while another process burns one core. */
  burn?: boolean;
  say: (s: string) => void;
}

/** The latency figures of one pass, as the suite's JSON line carries them (ms). */
export interface LatencyFigures {
  eventsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  timedOut: number;
  timeoutMs: number;
  probes: number;
  /** The target for p99 (ms) and whether this pass met it. */
  targetMs: number;
  met: boolean;
}

function figures(l: LatencyResult, targetMs: number): LatencyFigures {
  const r = (n: number): number => Math.round(n);
  return { eventsPerSec: r(l.backgroundPerSec), p50: r(l.p50), p99: r(l.p99), max: r(l.max), timedOut: l.timedOut, timeoutMs: l.timeoutMs, probes: l.samples.length, targetMs, met: l.p99 < targetMs };
}

export async function benchE2e(o: E2eBenchOptions): Promise<{ rows: Row[]; vsNodeRed: PairedRatio; vsBareAedes: PairedRatio; latency: LatencyFigures; latencyBurnt?: LatencyFigures }> {
  const influxd = await startInfluxd();
  try {
    // 200 fixture messages per device, then fresh ones without limit (loadgen/fresh.ts), the same
    // stream for Safestar and the anchors.
    const site = benchSite({ devices: o.devices, edgeId: 'edge-e2e', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir(), payloadsPerDevice: 200 });
    const losses: string[] = [];
    let k = 0;
    const runs = await alternate(
      [
        {
          name: 'safestar whole path',
          run: async () => {
            const t = await e2eThroughput(site, influxd, o.durationMs);
            if (t.stored !== t.acked) losses.push(`stored ${t.stored} of ${t.acked} acked`);
            return { value: t.eventsPerSec, detail: { acked: t.acked, stored: t.stored } };
          },
        },
        {
          name: 'node-red → influxdb',
          run: async () => {
            const t = await nodeRedInflux(site.clients, o.durationMs, influxd.url, `nodered_${process.pid}_${k++}`);
            return { value: t.storedPerSec, detail: { acked: t.acked, stored: t.stored, lost: t.lost } };
          },
        },
        {
          name: 'bare aedes',
          run: async () => {
            const t = await bareAedesRelay(site.clients, o.durationMs);
            return { value: t.deliveredPerSec };
          },
        },
      ],
      o.rounds,
      (s) => o.say(`e2e: ${s}`),
    );
    const ss = runs.get('safestar whole path')!;
    const nr = runs.get('node-red → influxdb')!;
    const bare = runs.get('bare aedes')!;
    const vsNodeRed = pairedRatio(ss, nr, 'node-red → influxdb');
    const vsBareAedes = pairedRatio(ss, bare, 'bare aedes');
    const nrLost = nr.reduce((n, r) => n + Number(r.detail?.['lost'] ?? 0), 0);
    o.say(`e2e: latency, open-loop probes every 100 ms at ${o.latencyRate} events/s…`);
    const lat = await e2eLatency(site, influxd, o.latencyRate, o.latencyMs);
    const rows: Row[] = [
      {
        name: `whole path device → edge process → hub → InfluxDB vs Node-RED mqtt→function→join(500)→InfluxDB (${o.devices} devices)`,
        unit: 'events/s stored',
        value: summarize(values(ss)),
        baseline: { name: 'Node-RED 4.1 + Mosquitto + influxdb batch', value: summarize(values(nr)) },
        pairs: vsNodeRed,
        target: '≥ 1.5×',
        met: vsNodeRed.median >= 1.5 && losses.length === 0,
        loads: [...loads(ss), ...loads(nr)],
        note: `${losses.length ? `LOSS: ${losses.join('; ')}` : 'stored = acked in every run'}; Node-RED lost ${nrLost} acknowledged events; every device message distinct (fresh messages, no cap per device)`,
      },
      {
        name: 'whole path vs bare aedes relay (same clients)',
        unit: 'events/s stored',
        value: summarize(values(ss)),
        baseline: { name: 'bare aedes → 1 subscriber', value: summarize(values(bare)) },
        pairs: vsBareAedes,
        loads: [...loads(ss), ...loads(bare)],
      },
      ...latencyRows(lat, `at ${lat.backgroundPerSec.toFixed(0)} events/s`, '< 250 ms', 250),
    ];
    let burnRows: Row[] = [];
    let latencyBurnt: LatencyFigures | undefined;
    if (o.burn) {
      o.say('e2e: latency again while another process burns one core…');
      const hot = await e2eLatency(site, influxd, o.latencyRate, o.latencyMs, { burn: true });
      burnRows = latencyRows(hot, `at ${hot.backgroundPerSec.toFixed(0)} events/s, one core burnt by another process`, '< 1,000 ms', 1000).slice(0, 1);
      latencyBurnt = figures(hot, 1000);
    }
    return {
      rows: [...rows, ...burnRows],
      vsNodeRed,
      vsBareAedes,
      latency: figures(lat, 250),
      ...(latencyBurnt ? { latencyBurnt } : {}),
    };
  } finally {
    await influxd.stop();
  }
}

function latencyRows(lat: LatencyResult, where: string, target: string, limit: number): Row[] {
  return [
    {
      name: `end-to-end latency p99 ${where} (open-loop probe every 100 ms, publish → in InfluxDB)`,
      unit: 'ms',
      value: summarize([lat.p99]),
      target,
      met: lat.p99 < limit,
      note: `p50 ${lat.p50.toFixed(0)} ms, max ${lat.max.toFixed(0)} ms; ${lat.samples.length} probes, ${lat.timedOut} timed out (counted at ${lat.timeoutMs} ms)`,
    },
    {
      name: `hub / edge RSS slope during the ${(lat.samples.length / 600).toFixed(1)}-min latency run`,
      unit: 'MiB/min',
      value: summarize([lat.hubSlopeMiBPerMin]),
      note: `hub ends at ${lat.hubRssMiB.toFixed(0)} MiB (after forced GC when run with --expose-gc); edge slope ${lat.edgeSlopeMiBPerMin.toFixed(2)} MiB/min, ends at ${lat.edgeRssMiB.toFixed(0)} MiB. A run this short cannot show a leak: the soak suite (bench soak) runs 30 min with heap snapshots`,
    },
  ];
}
