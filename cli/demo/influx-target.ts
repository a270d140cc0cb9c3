import { join } from 'node:path';
import { influxdAvailable, startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';

export interface InfluxTarget {
  url: string;
  database: string;
  /** Where it came from, for the user: env, private or none. */
  source: 'env' | 'private';
  stop(): Promise<void>;
}

/** Parse `http://host:port/db` (SAFESTAR_INFLUX_URL). The path names the database. */
export function parseInfluxUrl(raw: string): { url: string; database: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`SS_DEMO_INFLUX_URL: '${raw}' is not a URL; use e.g. http://127.0.0.1:8086/safestar`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`SS_DEMO_INFLUX_URL: '${raw}' must be http(s); use e.g. http://127.0.0.1:8086/safestar`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, '')) || 'safestar';
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) {
    throw new Error(`SS_DEMO_INFLUX_URL: database '${database}' must match [A-Za-z0-9_]{1,64}`);
  }
  return { url: `${u.protocol}//${u.host}`, database };
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
