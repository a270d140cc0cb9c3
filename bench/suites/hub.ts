import { benchHubIngest } from '../hub-ingest.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';

export interface HubBenchOptions {
  events: number;
  edges: number;
  repeats: number;
  say: (s: string) => void;
}

/** Hub ingest (MQTT → dedupe → durable queue → index → InfluxDB) against the raw influx client. */
export async function benchHub(o: HubBenchOptions): Promise<Row[]> {
  const hub: number[] = [];
  const raw: number[] = [];
  const losses: string[] = [];
  for (let i = 0; i < o.repeats; i++) {
    o.say(`hub: run ${i + 1}/${o.repeats}: ${o.edges} edges, ${o.events.toLocaleString('en-US')} events…`);
    const r = await benchHubIngest({ events: o.events, edges: o.edges, onProgress: (m) => o.say(`hub: ${m}`) });
    hub.push(r.hubEventsPerSec);
    raw.push(r.rawPointsPerSec);
    if (r.stored !== r.events) losses.push(`run ${i + 1}: stored ${r.stored} of ${r.events}`);
  }
  const h = summarize(hub);
  const b = summarize(raw);
  const ratio = h.median / b.median;
  return [
    {
      name: `hub ingest (${o.edges} edges, batches of 1,000)`,
      unit: 'events/s stored',
      value: h,
      baseline: { name: 'influx client, 5,000/batch', value: b },
      ratio,
      target: '≥ 0.70 of raw',
      met: ratio >= 0.7 && losses.length === 0,
      ...(losses.length ? { note: `LOSS: ${losses.join('; ')}` } : {}),
    },
  ];
}
