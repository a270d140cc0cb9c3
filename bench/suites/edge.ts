import { tmpdir } from 'node:os';
import { bareAedesRelay } from '../anchors/bare-aedes.ts';
import { nodeRedRelay } from '../anchors/node-red-relay.ts';
import { edgeRun } from '../lib/edge-run.ts';
import { alternate, loads, pairedRatio, values, type PairedRatio, type Run } from '../lib/pairs.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';
import { benchSite } from './fixtures.ts';

export interface EdgeBenchOptions {
  devices: number;
  durationMs: number;
  /** Rounds of edge / Node-RED / bare aedes, alternating (≥ 3 for a figure). */
  rounds: number;
  say: (s: string) => void;
}

export interface EdgeBenchResult {
  rows: Row[];
  vsNodeRed: PairedRatio;
  vsBareAedes: PairedRatio;
  unscored: number;
  /** Events the edge itself counted as written unscored (/metrics, all reasons), over all runs. */
  edgeUnscored: number;
  /** Median edge CPU per forwarded event, µs (from /proc). */
  edgeCpuUsPerEvent: number;
}

const num = (r: Run, k: string): number => Number(r.detail?.[k] ?? 0);

/**
 * The edge against its two anchors, alternating in one sitting (edge, Node-RED, bare aedes, edge,
 * …) with the same load-generator process, clients, vendor payloads and load shape for all three.
 */
export async function benchEdge(o: EdgeBenchOptions): Promise<EdgeBenchResult> {
  const site = benchSite({ devices: o.devices, edgeId: 'edge-bench', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
  const busy = site.clients.filter((c) => c.ratePerSecond === undefined).length;
  const runs = await alternate(
    [
      {
        name: 'safestar edge',
        run: async () => {
          const r = await edgeRun(site, o.durationMs);
          return {
            value: r.eventsPerSec,
            detail: {
              acked: r.acked, forwarded: r.forwarded, unacked: r.unacked, deadLettered: r.deadLettered, unscored: r.unscored,
              edgeUnscored: Object.values(r.edgeUnscoredBy).reduce((a, b) => a + b, 0), edgeUnscoredBy: JSON.stringify(r.edgeUnscoredBy),
              cpuUsPerEvent: Math.round(r.edgeCpuUsPerEvent * 10) / 10, rssMiB: Math.round(r.edgeRssMiB), unscoredBy: JSON.stringify(r.unscoredBy), ...r.scorerMetrics,
            },
          };
        },
      },
      {
        name: 'node-red',
        run: async () => {
          const r = await nodeRedRelay(site.clients, o.durationMs);
          return { value: r.deliveredPerSec, detail: { acked: r.acked, delivered: r.delivered, lost: r.lost } };
        },
      },
      {
        name: 'bare aedes',
        run: async () => {
          const r = await bareAedesRelay(site.clients, o.durationMs);
          return { value: r.deliveredPerSec, detail: { acked: r.acked, delivered: r.delivered, lost: r.lost } };
        },
      },
    ],
    o.rounds,
    (s) => o.say(`edge: ${s}`),
  );
  const edge = runs.get('safestar edge')!;
  const nr = runs.get('node-red')!;
  const bare = runs.get('bare aedes')!;
  const vsNodeRed = pairedRatio(edge, nr, 'node-red');
  const vsBareAedes = pairedRatio(edge, bare, 'bare aedes');
  const loss = edge.reduce((n, r) => n + Math.max(0, num(r, 'acked') - num(r, 'forwarded')), 0);
  const unacked = edge.reduce((n, r) => n + num(r, 'unacked'), 0);
  const dead = edge.reduce((n, r) => n + num(r, 'deadLettered'), 0);
  const unscored = edge.reduce((n, r) => n + num(r, 'unscored'), 0);
  const edgeUnscored = edge.reduce((n, r) => n + num(r, 'edgeUnscored'), 0);
  const cpu = edge.map((r) => num(r, 'cpuUsPerEvent')).sort((a, b) => a - b);
  const forwarded = edge.reduce((n, r) => n + num(r, 'forwarded'), 0);
  const nrLost = nr.reduce((n, r) => n + num(r, 'lost'), 0);
  const shape = `${o.devices} devices: ${busy} busy (QoS 1, window 16), the rest at their kind's real rate`;
  const edgeNote = `forwarded − acked: ${-loss}; unacked ${unacked}; dead letters ${dead}; unscored ${unscored} of ${forwarded}; edge CPU ${edge.map((r) => num(r, 'cpuUsPerEvent')).join(' / ')} µs/event`;
  return {
    vsNodeRed,
    vsBareAedes,
    unscored,
    edgeUnscored,
    edgeCpuUsPerEvent: cpu[Math.floor(cpu.length / 2)] ?? Number.NaN,
    rows: [
      {
        name: `edge vs Node-RED mqtt→function→mqtt QoS 1 via Mosquitto (${shape})`,
        unit: 'events/s',
        value: summarize(values(edge)),
        baseline: { name: 'Node-RED 4.1 + Mosquitto', value: summarize(values(nr)) },
        pairs: vsNodeRed,
        target: '≥ 2.0×',
        met: vsNodeRed.median >= 2 && loss === 0,
        loads: [...loads(edge), ...loads(nr)],
        note: `${edgeNote}; Node-RED lost ${nrLost} acknowledged messages`,
      },
      {
        name: 'edge vs bare aedes relay (same clients)',
        unit: 'events/s',
        value: summarize(values(edge)),
        baseline: { name: 'bare aedes → 1 subscriber', value: summarize(values(bare)) },
        pairs: vsBareAedes,
        target: '≥ 0.70',
        met: vsBareAedes.median >= 0.7 && loss === 0,
        loads: [...loads(edge), ...loads(bare)],
      },
      {
        name: 'edge events written unscored (counted per event at the hub side)',
        unit: 'events',
        value: summarize(edge.map((r) => num(r, 'unscored'))),
        target: '0',
        met: unscored === 0 && edgeUnscored === 0,
        note: `the edge's own count (/metrics, all runs): ${edgeUnscored}, last run by reason: ${String(edge.at(-1)?.detail?.['edgeUnscoredBy'] ?? '{}')}; hub side, last run, by kind/type: ${String(edge.at(-1)?.detail?.['unscoredBy'] ?? '{}')}; scorer metrics (/metrics): ${JSON.stringify(Object.fromEntries(Object.entries(edge.at(-1)?.detail ?? {}).filter(([k]) => k.startsWith('safestar_'))))}`,
      },
    ],
  };
}
