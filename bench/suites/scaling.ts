import { benchHubIngest } from '../hub-ingest.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';
import { edgeRun } from './edge.ts';

/** How throughput and memory grow with devices per edge and edges per hub (one run each). */
export async function benchScaling(o: { edgeDevices: number[]; hubEdges: number[]; durationMs: number; hubEvents: number; say: (s: string) => void }): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of o.edgeDevices) {
    o.say(`scaling: edge with ${n} devices…`);
    const r = await edgeRun(n, o.durationMs);
    rows.push({
      name: `edge scaling: ${n} devices`,
      unit: 'events/s',
      value: summarize([r.eventsPerSec]),
      note: `RSS ${r.rssMiB.toFixed(0)} MiB (bench process with the edge in it); ${r.forwarded}/${r.acked} delivered`,
    });
  }
  for (const e of o.hubEdges) {
    o.say(`scaling: hub with ${e} edges…`);
    const r = await benchHubIngest({ events: o.hubEvents, edges: e, skipRaw: true, batchSize: Math.max(50, Math.min(1000, Math.floor(o.hubEvents / e / 4))) });
    rows.push({
      name: `hub scaling: ${e} edges`,
      unit: 'events/s stored',
      value: summarize([r.hubEventsPerSec]),
      note: `${r.stored}/${r.events} stored; hub CPU ${r.cpu.hubUsPerEvent.toFixed(1)} µs/event`,
    });
  }
  return rows;
}
