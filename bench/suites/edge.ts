import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdge } from '../../edge/edge.ts';
import { createOnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import { DEFAULT_MODEL, SCORER_WARMUP_MS } from '../../edge/main.ts';
import type { Scorer } from '../../edge/pipeline/scorer-port.ts';
import { bareAedesRelay } from '../baselines/bare-aedes.ts';
import { LoadGenerator } from '../loadgen/driver.ts';
import { HubStub } from '../loadgen/hub-stub-driver.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';
import { benchSite } from './fixtures.ts';

export interface EdgeBenchOptions {
  devices: number;
  durationMs: number;
  repeats: number;
  say: (s: string) => void;
}

/** Node-RED 4.1 on this machine, mqtt in → function → mqtt out QoS 1 (issue 7's measurement). */
export const NODE_RED_MSGS_PER_SEC = 9_300;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

export interface EdgeRun {
  eventsPerSec: number;
  acked: number;
  forwarded: number;
  deadLettered: number;
  rssMiB: number;
}

/** One run: devices → edge (everything on) → a hub stand-in; rate counted at the hub side. */
export async function edgeRun(devices: number, durationMs: number, scorerOn = true): Promise<EdgeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-edge-'));
  const stub = await HubStub.start();
  const site = benchSite({ devices, edgeId: 'edge-bench', hubUrl: stub.url, dataDir: dir });
  // Scored as `safestar edge` scores: the shipped model, the same learning period.
  const scorer: Scorer | undefined = scorerOn ? await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false, warmupMs: SCORER_WARMUP_MS }) : undefined;
  const edge = await startEdge(site.config, { log: false, ...(scorer ? { scorer } : {}) });
  try {
    const { gen } = await LoadGenerator.connect({ url: edge.brokerUrl, clients: site.clients, qos: 1, window: 16, durationMs });
    const t0 = Date.now();
    const res = await gen.run();
    // Sustained means delivered: the clock stops when the hub side has every acked event.
    await waitFor(async () => (await stub.events()) >= res.acked, 60_000);
    const elapsed = (Date.now() - t0) / 1000;
    const forwarded = await stub.events();
    const rssMiB = process.memoryUsage().rss / 2 ** 20;
    await gen.stop();
    return { eventsPerSec: Math.min(forwarded, res.acked) / elapsed, acked: res.acked, forwarded, deadLettered: edge.stats().deadLettered, rssMiB };
  } finally {
    await edge.close();
    await (scorer as { close?: () => Promise<void> } | undefined)?.close?.();
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEdge(o: EdgeBenchOptions): Promise<Row[]> {
  const edgeRates: number[] = [];
  const bareRates: number[] = [];
  const notes: string[] = [];
  for (let i = 0; i < o.repeats; i++) {
    o.say(`edge: run ${i + 1}/${o.repeats}: bare aedes baseline, ${o.devices} devices…`);
    const site = benchSite({ devices: o.devices, edgeId: 'edge-bench', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
    bareRates.push((await bareAedesRelay(site.clients, o.durationMs)).deliveredPerSec);
    o.say(`edge: run ${i + 1}/${o.repeats}: edge with everything on…`);
    const r = await edgeRun(o.devices, o.durationMs);
    edgeRates.push(r.eventsPerSec);
    if (r.forwarded < r.acked) notes.push(`run ${i + 1}: LOSS ${r.acked - r.forwarded} of ${r.acked}`);
    if (r.deadLettered > 0) notes.push(`run ${i + 1}: ${r.deadLettered} dead letters`);
  }
  const edge = summarize(edgeRates);
  const bare = summarize(bareRates);
  const ratio = edge.median / bare.median;
  return [
    {
      name: `edge throughput (${o.devices} devices, QoS 1, everything on)`,
      unit: 'events/s',
      value: edge,
      baseline: { name: 'bare aedes relay', value: bare },
      ratio,
      target: '≥ 0.70 of bare',
      met: ratio >= 0.7 && notes.every((n) => !n.includes('LOSS')),
      ...(notes.length ? { note: notes.join('; ') } : {}),
    },
    {
      name: 'edge vs Node-RED (mqtt→function→mqtt, 9.3k msg/s measured 2026-11-29)',
      unit: 'events/s',
      value: edge,
      ratio: edge.median / NODE_RED_MSGS_PER_SEC,
      target: '≥ 2.0× Node-RED',
      met: edge.median >= 2 * NODE_RED_MSGS_PER_SEC,
      note: 'Node-RED cannot run here (no package); its figure is the one measured on this machine in issue 7',
    },
  ];
}
