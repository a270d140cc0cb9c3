import { tmpdir } from 'node:os';
import { benchHubIngest } from '../hub-ingest.ts';
import { edgeRun } from '../lib/edge-run.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';
import { benchSite } from './fixtures.ts';

/** Events per uplink batch in the hub scaling runs: the same at every edge count. */
export const HUB_SCALING_BATCH = 100;

/**
 * How throughput grows with devices per edge and with edges per hub, one thing varied at a time:
 * the edge runs keep the load shape (one busy device in ten, the rest at real rates), the window and
 * the duration, and count every acknowledged event however late its ack; the hub runs keep the
 * batch size and the total events.
 */
export async function benchScaling(o: { edgeDevices: number[]; hubEdges: number[]; durationMs: number; hubEvents: number; say: (s: string) => void }): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of o.edgeDevices) {
    o.say(`scaling: edge with ${n} devices…`);
    const site = benchSite({ devices: n, edgeId: 'edge-scale', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
    const r = await edgeRun(site, o.durationMs);
    rows.push({
      name: `edge scaling: ${n} devices (${site.clients.filter((c) => c.ratePerSecond === undefined).length} busy)`,
      unit: 'events/s',
      value: summarize([r.eventsPerSec]),
      note: `edge RSS ${r.edgeRssMiB.toFixed(0)} MiB, CPU ${r.edgeCpuUsPerEvent.toFixed(1)} µs/event; ${r.forwarded}/${r.acked} forwarded, ${r.unacked} unacked, ${r.unscored} unscored`,
    });
  }
  for (const e of o.hubEdges) {
    o.say(`scaling: hub with ${e} edges…`);
    const r = await benchHubIngest({ events: o.hubEvents, edges: e, skipRaw: true, batchSize: HUB_SCALING_BATCH });
    rows.push({
      name: `hub scaling: ${e} edges (batches of ${HUB_SCALING_BATCH}, ${o.hubEvents.toLocaleString('en-US')} events)`,
      unit: 'events/s stored',
      value: summarize([r.hubEventsPerSec]),
      note: `${r.stored}/${r.events} stored; hub CPU ${r.cpu.hubUsPerEvent.toFixed(1)} µs/event`,
    });
  }
  return rows;
}
