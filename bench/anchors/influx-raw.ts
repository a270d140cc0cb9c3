import { InfluxDB, type IPoint } from 'influx';
import { WRITER_DEFAULTS } from '../../hub/store/influxWriter.ts';

/**
 * Anchor for hub ingest: the `influx` client writing event-shaped points with the hub writer's own
 * batch size and number of concurrent requests (WRITER_DEFAULTS), into the given database.
 * Returns points/s.
 */
export async function rawInfluxWrite(url: string, database: string, total: number, batchSize = WRITER_DEFAULTS.batchSize, concurrency = WRITER_DEFAULTS.concurrency): Promise<number> {
  const u = new URL(url);
  const influx = new InfluxDB({ host: u.hostname, port: Number(u.port), database });
  await influx.createDatabase(database);
  const base = Date.UTC(2026, 10, 29) * 1e6;
  const points: IPoint[] = [];
  for (let i = 0; i < total; i++) {
    const c = i % 2285;
    points.push({
      measurement: 'raw_events',
      tags: {
        district: `d${c % 6}`, compound: `c${c}`, edge: `e${c % 40}`, device: `c${c}-acc-${i % 8}`,
        kind: 'access', type: 'granted', severity: 'info',
      },
      fields: { id: `edge.${i.toString(36)}.${i}`, receivedAt: 1764403200000 + i, method: 'card', door: 1 },
      timestamp: String(base + i * 1000),
    });
  }
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < points.length) {
      const from = next;
      next += batchSize;
      await influx.writePoints(points.slice(from, from + batchSize), { precision: 'n' });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return total / seconds;
}
