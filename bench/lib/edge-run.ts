import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadGenerator } from '../loadgen/driver.ts';
import { HubStub } from '../loadgen/hub-stub-driver.ts';
import type { LoadClient } from '../loadgen/protocol.ts';
import type { BenchSite } from '../suites/fixtures.ts';
import { spawnEdge } from './edge-process.ts';
import { metricSum, metricsMatching, scrape } from './metrics.ts';
import { procCpuUs } from './proc.ts';
import { rssHighWaterMiB, rssMiB } from './rss.ts';

export interface EdgeRun {
  eventsPerSec: number;
  acked: number;
  forwarded: number;
  /** Publishes the load generator never had acknowledged (bounded wait): reported, never dropped. */
  unacked: number;
  deadLettered: number;
  /** Events that reached the hub side without an anomaly score (counted there, per event). */
  unscored: number;
  /** Unscored events by `kind/type`. */
  unscoredBy: Record<string, number>;
  /** What the edge's /metrics says about scoring: scorer misses and any unscored counters. */
  scorerMetrics: Record<string, number>;
  /** The edge's own count of events written unscored, by reason code (`safestar_edge_events_unscored_total`). */
  edgeUnscoredBy: Record<string, number>;
  edgeRssMiB: number;
  /** The edge's resident-set high-water mark over its life (VmHWM, MiB). */
  edgeRssHighWaterMiB: number;
  /** CPU time of the edge process per forwarded event (µs), from /proc. */
  edgeCpuUsPerEvent: number;
  /** The timed window on the monotonic clock (µs), as V8 CPU profiles stamp their samples. */
  windowUs: [number, number];
}

const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * One run of the real `safestar edge` process (everything on: auth, ACL, rate limit, codecs,
 * validation, privacy, ONNX scoring, SQLite outbox with fsync before PUBACK, uplink) between the
 * load generator and a hub stand-in process. Rate = events the hub side received / time until it
 * had every acknowledged one.
 */
export async function edgeRun(site: BenchSite, durationMs: number, o: { clients?: LoadClient[]; window?: number; ratePerSecond?: number; args?: string[]; env?: NodeJS.ProcessEnv; bin?: string; nodeArgs?: string[] } = {}): Promise<EdgeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-edge-'));
  const stub = await HubStub.start();
  try {
    const config = { ...site.config, uplink: { ...site.config.uplink, url: stub.url }, dataDir: join(dir, 'edge') };
    const file = join(dir, 'site.json');
    writeFileSync(file, JSON.stringify(config));
    const edge = await spawnEdge(file, o.env ?? {}, o.args ?? [], o.bin, o.nodeArgs ?? []);
    try {
      const { gen } = await LoadGenerator.connect({
        url: edge.brokerUrl, clients: o.clients ?? site.clients, qos: 1, window: o.window ?? 16, durationMs,
        ...(o.ratePerSecond !== undefined ? { ratePerSecond: o.ratePerSecond } : {}),
      });
      try {
        const cpu0 = procCpuUs(edge.child.pid);
        const w0 = monoUs();
        const t0 = Date.now();
        const res = await gen.run();
        // Sustained means delivered: the clock stops when the hub side has every acked event.
        let c = await stub.counts();
        const deadline = Date.now() + 60_000;
        while (c.events < res.acked && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
          c = await stub.counts();
        }
        const elapsed = (Date.now() - t0) / 1000;
        const cpu = procCpuUs(edge.child.pid) - cpu0;
        const w1 = monoUs();
        const m = await scrape(`${edge.apiUrl}/metrics`);
        return {
          eventsPerSec: Math.min(c.events, res.acked) / elapsed,
          acked: res.acked,
          forwarded: c.events,
          unacked: res.unacked,
          deadLettered: metricSum(m, 'safestar_edge_deadletters_total'),
          unscored: c.unscored,
          unscoredBy: c.unscoredBy,
          scorerMetrics: metricsMatching(m, /scor|unscored/),
          edgeUnscoredBy: Object.fromEntries([...m].flatMap(([k, v]) => {
            const r = /^safestar_edge_events_unscored_total\{reason="([^"]+)"\}$/.exec(k);
            return r ? [[r[1]!, v]] : [];
          })),
          edgeRssMiB: rssMiB(edge.child.pid),
          edgeRssHighWaterMiB: rssHighWaterMiB(edge.child.pid),
          edgeCpuUsPerEvent: c.events > 0 ? cpu / c.events : Number.NaN,
          windowUs: [w0, w1],
        };
      } finally {
        await gen.stop();
      }
    } finally {
      await edge.stop();
    }
  } finally {
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
