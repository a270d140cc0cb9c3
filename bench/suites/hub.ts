import { startInfluxd } from '../../common/influxd.ts';
import { WRITER_DEFAULTS } from '../../hub/store/influxWriter.ts';
import { rawInfluxWrite } from '../anchors/influx-raw.ts';
import { benchHubIngest, settle } from '../hub-ingest.ts';
import { alternate, loads, pairedRatio, values, type PairedRatio } from '../lib/pairs.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';

export interface HubBenchOptions {
  events: number;
  edges: number;
  rounds: number;
  say: (s: string) => void;
}

/**
 * Hub ingest (MQTT → dedupe → durable queue → index → InfluxDB) alternating with the raw influx
 * client (same batch size and writer concurrency as the hub), into one throwaway influxd.
 */
export async function benchHub(o: HubBenchOptions): Promise<{ rows: Row[]; vsRawInflux: PairedRatio; cpuUsPerEvent: { process: number; mainThread: number } }> {
  const influxd = await startInfluxd();
  const losses: string[] = [];
  let k = 0;
  try {
    const pid = influxd.process.pid;
    const runs = await alternate(
      [
        {
          name: 'hub',
          run: async () => {
            const r = await benchHubIngest({ events: o.events, edges: o.edges, influxUrl: influxd.url, influxPid: pid, skipRaw: true });
            if (r.stored !== r.events) losses.push(`stored ${r.stored} of ${r.events}`);
            return { value: r.hubEventsPerSec, detail: { hubCpuUsPerEvent: Math.round(r.cpu.hubUsPerEvent * 10) / 10, hubMainThreadUsPerEvent: Math.round(r.cpu.hubMainThreadUsPerEvent * 10) / 10 } };
          },
        },
        {
          name: 'raw influx',
          run: async () => {
            await settle(pid);
            return { value: await rawInfluxWrite(influxd.url, `bench_raw_${process.pid}_${k++}`, o.events) };
          },
        },
      ],
      o.rounds,
      (s) => o.say(`hub: ${s}`),
    );
    const hub = runs.get('hub')!;
    const raw = runs.get('raw influx')!;
    const vsRawInflux = pairedRatio(hub, raw, 'raw influx client');
    const med = (k: string): number => summarize(hub.map((r) => Number(r.detail?.[k]))).median;
    return {
      vsRawInflux,
      cpuUsPerEvent: { process: med('hubCpuUsPerEvent'), mainThread: med('hubMainThreadUsPerEvent') },
      rows: [
        {
          name: `hub ingest (${o.edges} edges, batches of 1,000, ${o.events.toLocaleString('en-US')} events a run)`,
          unit: 'events/s stored',
          value: summarize(values(hub)),
          baseline: { name: `influx client, ${WRITER_DEFAULTS.batchSize}/batch, ${WRITER_DEFAULTS.concurrency} writers`, value: summarize(values(raw)) },
          pairs: vsRawInflux,
          target: '≥ 0.70',
          met: vsRawInflux.median >= 0.7 && losses.length === 0,
          loads: [...loads(hub), ...loads(raw)],
          note: `hub CPU ${hub.map((r) => r.detail?.['hubCpuUsPerEvent']).join(' / ')} µs/event (all threads), of which its event loop ${hub.map((r) => r.detail?.['hubMainThreadUsPerEvent']).join(' / ')}${losses.length ? `; LOSS: ${losses.join('; ')}` : ''}`,
        },
      ],
    };
  } finally {
    await influxd.stop();
  }
}
