import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAckedIds, type AckedIdCheck } from '../lib/acked-ids.ts';
import { LoadGenerator } from '../loadgen/driver.ts';
import { HubStub } from '../loadgen/hub-stub-driver.ts';
import type { LoadClient } from '../loadgen/protocol.ts';
import { spawnEdge, type EdgeProcess } from '../lib/edge-process.ts';
import { heapGrowth, summarizeHeapSnapshot, type ConstructorGrowth } from '../lib/heap.ts';
import { metricSum, scrape } from '../lib/metrics.ts';
import { rssHighWaterMiB, rssMiB } from '../lib/rss.ts';
import { slope, summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';
import { benchSite, type BenchSite } from './fixtures.ts';

export interface SoakOptions {
  devices: number;
  minutes: number;
  /** One device in this many is busy; busy devices publish at `busyPerSecond` (open loop). */
  busyEvery?: number;
  busyPerSecond?: number;
  say: (s: string) => void;
}

export interface SoakResult {
  rows: Row[];
  summary: {
    devices: number;
    minutes: number;
    eventsPerSec: number;
    acked: number;
    forwarded: number;
    deadLettered: number;
    /** Every acknowledged publish checked by event id at the hub side (the measured edge). */
    ids: AckedIdCheck;
    /** Largest sample. */
    rssMaxMiB: number;
    /** The kernel's high-water mark (VmHWM) at the end: peaks between samples too. */
    rssHighWaterMiB: number;
    rssEndMiB: number;
    rssSlopeMiBPerMin: number;
    /** [minutes since start, MiB] every sample (the RSS over time). */
    rss: Array<[number, number]>;
    heapStartMiB: number;
    heapEndMiB: number;
    heapGrowth: ConstructorGrowth[];
  };
}

const SIGNAL = 'SIGUSR2';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

/**
 * Ask the edge for a heap snapshot (node's own `--heapsnapshot-signal`, no hook in the edge) and
 * wait until it is written: the edge writes it on its main thread, so once the file exists and the
 * edge answers HTTP again, the write is over. V8 runs a full GC before it snapshots.
 */
async function heapSnapshot(edge: EdgeProcess, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  edge.child.kill(SIGNAL);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const fresh = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (fresh.length > 0) {
      const file = join(dir, fresh[0]!);
      await (await fetch(`${edge.apiUrl}/health`)).arrayBuffer();
      let size = -1;
      while (statSync(file).size !== size) {
        size = statSync(file).size;
        await sleep(500);
      }
      return file;
    }
    if (Date.now() > deadline) throw new Error('SS_BENCH_SOAK_SNAPSHOT: the edge wrote no heap snapshot in 180 s');
    await sleep(200);
  }
}

export interface Twin {
  edge: EdgeProcess;
  stub: HubStub;
  gen: LoadGenerator;
  /** Where the load generator logs each acknowledged publish. */
  ackedLog: string;
}

export async function startTwin(site: BenchSite, clients: LoadClient[], dir: string, durationMs: number, snapshots?: string): Promise<Twin> {
  const stub = await HubStub.start();
  try {
    const file = join(dir, 'site.json');
    writeFileSync(file, JSON.stringify({ ...site.config, dataDir: join(dir, 'edge'), uplink: { ...site.config.uplink, url: stub.url } }));
    const nodeArgs = snapshots ? [`--heapsnapshot-signal=${SIGNAL}`, `--diagnostic-dir=${snapshots}`] : [];
    const edge = await spawnEdge(file, {}, [], undefined, nodeArgs);
    try {
      const ackedLog = join(dir, 'acked.jsonl');
      const { gen } = await LoadGenerator.connect({ url: edge.brokerUrl, clients, qos: 1, window: 16, durationMs, ackedLog });
      return { edge, stub, gen, ackedLog };
    } catch (e) {
      await edge.stop();
      throw e;
    }
  } catch (e) {
    await stub.stop();
    throw e;
  }
}

export async function stopTwin(t: Twin | undefined): Promise<void> {
  if (!t) return;
  await t.gen.stop();
  await t.edge.stop();
  await t.stub.stop();
}

/**
 * Wait until the hub side holds every acknowledged event (bounded), then check each acknowledged
 * publish by its event id there (bench/lib/acked-ids.ts) and read the edge's counters.
 */
async function delivered(t: Twin, acked: number, site: BenchSite, clients: readonly LoadClient[], dir: string): Promise<{ forwarded: number; deadLettered: number; ids: AckedIdCheck }> {
  let c = await t.stub.counts();
  const deadline = Date.now() + 60_000;
  while (c.events < acked && Date.now() < deadline) {
    await sleep(100);
    c = await t.stub.counts();
  }
  const m = await scrape(`${t.edge.apiUrl}/metrics`);
  const received = join(dir, 'received-ids.txt');
  await t.stub.idsTo(received);
  const ids = checkAckedIds(site.config, clients, t.ackedLog, received);
  if (ids.acked !== acked) throw new Error(`SS_BENCH_SOAK_LOG: the load generator acknowledged ${acked} publishes but logged ${ids.acked}`);
  return { forwarded: c.events, deadLettered: metricSum(m, 'safestar_edge_deadletters_total'), ids };
}

const idNote = (i: AckedIdCheck): string =>
  `every acked publish looked up by event id at the hub side: ${i.expected} ids from ${i.acked} publishes, ${i.missing} missing${i.missing ? ` (e.g. ${i.missingSample.join(', ')})` : ''}, ${i.undecodable} undecodable, ${i.unexplained} received ids not from an acked publish, ${i.resends} resends`;

/**
 * Long run of the real `safestar edge` with `devices` devices at a real site's rates (most at
 * their kind's weekly mean, one in `busyEvery` at a busy fixed rate). Two identical edges run side
 * by side under the same load: one only has its RSS sampled; its twin has heap snapshots taken
 * after the warm-up and near the end, compared by constructor. A heap snapshot leaves a few
 * hundred MiB of freed-but-kept malloc memory in the process it was taken in (measured: 244 →
 * 500 MiB across one), so RSS is judged on the edge no snapshot touched.
 */
export async function benchSoak(o: SoakOptions): Promise<SoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-soak-'));
  const snaps = join(dir, 'snapshots');
  mkdirSync(snaps, { recursive: true });
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  let plain: Twin | undefined;
  let probed: Twin | undefined;
  try {
    const site = benchSite({ devices: o.devices, edgeId: 'edge-soak', hubUrl: 'mqtt://127.0.0.1:1', dataDir: dir, busyEvery: o.busyEvery ?? 50 });
    // Busy devices at a fixed rate, not closed loop: a soak is about time, not saturation.
    const clients: LoadClient[] = site.clients.map((c) => (c.ratePerSecond === undefined ? { ...c, ratePerSecond: o.busyPerSecond ?? 5 } : c));
    const offered = clients.reduce((n, c) => n + (c.ratePerSecond ?? 0), 0);
    const durationMs = o.minutes * 60_000;
    const beforeEndMs = Math.min(30_000, durationMs * 0.05);
    o.say(`soak: 2 × ${clients.length} devices connecting (${offered.toFixed(0)} events/s offered to each edge), ${o.minutes} min…`);
    plain = await startTwin(site, clients, join(dir, 'a'), durationMs);
    probed = await startTwin(site, clients, join(dir, 'b'), durationMs, snaps);
    const pid = plain.edge.child.pid;
    const t0 = Date.now();
    const rss: Array<[number, number]> = [];
    const sample = (): void => {
      rss.push([Math.round(((Date.now() - t0) / 60_000) * 100) / 100, Math.round(rssMiB(pid) * 10) / 10]);
    };
    const sampler = setInterval(sample, Math.max(5_000, Math.min(30_000, durationMs / 60)));
    try {
      const running = Promise.all([plain.gen.run(), probed.gen.run()]);
      // Warm-up: every device connected, caches and the outbox at their working size.
      await sleep(Math.min(60_000, durationMs * 0.1));
      o.say('soak: heap snapshot 1 of the twin (after warm-up)…');
      const snapA = await heapSnapshot(probed.edge, snaps);
      await sleep(Math.max(0, t0 + durationMs - beforeEndMs - Date.now()));
      o.say('soak: heap snapshot 2 of the twin (near the end, under the same load)…');
      const snapB = await heapSnapshot(probed.edge, snaps);
      const [res, resB] = await running;
      sample();
      clearInterval(sampler);
      const highWater = Math.round(rssHighWaterMiB(pid) * 10) / 10;
      const d = await delivered(plain, res.acked, site, clients, join(dir, 'a'));
      const dB = await delivered(probed, resB.acked, site, clients, join(dir, 'b'));
      o.say('soak: comparing the heap snapshots…');
      const a = summarizeHeapSnapshot(snapA);
      const b = summarizeHeapSnapshot(snapB);
      const growth = heapGrowth(a, b, 10);
      const values = rss.map((r) => r[1]);
      const half = rss.slice(Math.floor(rss.length / 2));
      const summary: SoakResult['summary'] = {
        devices: clients.length,
        minutes: o.minutes,
        eventsPerSec: Math.round(res.acked / (res.elapsedMs / 1000)),
        acked: res.acked,
        forwarded: d.forwarded,
        deadLettered: d.deadLettered,
        ids: d.ids,
        rssMaxMiB: Math.max(...values),
        rssHighWaterMiB: highWater,
        rssEndMiB: values.at(-1) ?? Number.NaN,
        rssSlopeMiBPerMin: Math.round(slope(half.map((r) => r[0]), half.map((r) => r[1])) * 100) / 100,
        rss,
        heapStartMiB: mib(a.totalBytes),
        heapEndMiB: mib(b.totalBytes),
        heapGrowth: growth,
      };
      const top = growth.slice(0, 5).map((g) => `${g.name} ${g.retainedBytesDelta >= 0 ? '+' : ''}${mib(g.retainedBytesDelta)} MiB (${g.countDelta >= 0 ? '+' : ''}${g.countDelta} objects)`).join(', ');
      const losses = [
        ...(d.ids.missing > 0 ? [`edge: ${d.ids.missing} acked events never reached the hub side`] : []),
        ...(dB.ids.missing > 0 ? [`twin: ${dB.ids.missing} acked events never reached the hub side`] : []),
        ...(d.ids.undecodable + dB.ids.undecodable > 0 ? [`${d.ids.undecodable + dB.ids.undecodable} acked publishes the edge's codecs refuse`] : []),
      ];
      return {
        summary,
        rows: [
          {
            name: `edge RSS, ${clients.length} devices for ${o.minutes} min (${summary.eventsPerSec} events/s, 1 in ${o.busyEvery ?? 50} busy at ${o.busyPerSecond ?? 5}/s)`,
            unit: 'MiB (high-water)',
            value: summarize([summary.rssHighWaterMiB]),
            target: '< 300 MiB',
            met: summary.rssHighWaterMiB < 300 && losses.length === 0,
            note: `RSS ${values[0]} → ${summary.rssEndMiB} MiB (largest sample ${summary.rssMaxMiB}, kernel high-water ${summary.rssHighWaterMiB}), slope ${summary.rssSlopeMiBPerMin} MiB/min over the second half; forwarded ${d.forwarded} of ${res.acked} acked, ${d.deadLettered} dead letters; ${idNote(d.ids)}${losses.length ? `; LOSS: ${losses.join('; ')}` : ''}`,
          },
          {
            name: `edge heap (twin edge, same load), snapshot after warm-up vs ${Math.round(beforeEndMs / 1000)} s before the end`,
            unit: 'MiB (live)',
            value: summarize([summary.heapEndMiB]),
            note: `${summary.heapStartMiB} → ${summary.heapEndMiB} MiB; most retained growth: ${top}; twin forwarded ${dB.forwarded} of ${resB.acked} acked; ${idNote(dB.ids)}`,
          },
        ],
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await stopTwin(probed);
    await stopTwin(plain);
    rmSync(dir, { recursive: true, force: true });
  }
}
