import { InfluxDB, type IPoint } from 'influx';

/**
 * The raw component for hub ingest: the `influx` client writing event-shaped points in batches
 * of `batchSize` (5,000 in issue 7), one writer, into the given database. Returns points/s.
 */
export async function rawInfluxWrite(url: string, database: string, total: number, batchSize = 5000): Promise<number> {
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
  for (let i = 0; i < points.length; i += batchSize) {
    await influx.writePoints(points.slice(i, i + batchSize), { precision: 'n' });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return total / seconds;
}
