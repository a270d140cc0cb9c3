import { join } from 'node:path';
import { influxdAvailable, startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { parseInfluxUrl } from '../../hub/config.ts';

export interface InfluxTarget {
  url: string;
  database: string;
  /** Where it came from, for the user: env, private or none. */
  source: 'env' | 'private';
  stop(): Promise<void>;
}

/**
 * Pick the InfluxDB for the demo: SAFESTAR_INFLUX_URL when set; else a private influxd under the
 * data folder when one is installed; else none (events then wait in the hub's durable queue).
 */
export async function resolveInflux(dataDir: string, env = process.env): Promise<InfluxTarget | undefined> {
  const fromEnv = env.SAFESTAR_INFLUX_URL;
  if (fromEnv) {
    const { url, database } = parseInfluxUrl(fromEnv);
    return { url, database, source: 'env', stop: async () => {} };
  }
  if (!influxdAvailable()) return undefined;
  const handle: InfluxdHandle = await startInfluxd({ dir: join(dataDir, 'influxd'), keep: true });
  return { url: handle.url, database: 'safestar', source: 'private', stop: () => handle.stop() };
}
