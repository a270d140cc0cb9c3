import { join, resolve } from 'node:path';
import { influxdAvailable, startInfluxd, stopLeftoverInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { parseInfluxUrl } from '../../hub/config.ts';

export interface InfluxTarget {
  url: string;
  database: string;
  /** Where it came from, for the user: env, private or none. */
  source: 'env' | 'private';
  /** Stop a private influxd (SIGKILL after graceMs); a no-op for SAFESTAR_INFLUX_URL. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Pick the InfluxDB for the demo: SAFESTAR_INFLUX_URL when set; else a private influxd under the
 * data folder when one is installed; else none (events then wait in the hub's durable queue).
 *
 * The private influxd runs in its own process group (detached), so the Ctrl-C that stops the
 * demo does not kill the database before the hub has drained into it; the demo stops it last.
 * Its pid is kept in the data folder, and a run that finds one left by a killed demo stops it.
 */
function privatePaths(dataDir: string): { dir: string; pidFile: string } {
  return { dir: resolve(join(dataDir, 'influxd')), pidFile: join(resolve(dataDir), 'influxd.pid') };
}

/** Stop the private influxd a killed demo left running on this data folder, if any. */
export function stopLeftover(dataDir: string): Promise<boolean> {
  const { dir, pidFile } = privatePaths(dataDir);
  return stopLeftoverInfluxd(pidFile, dir);
}

export async function resolveInflux(dataDir: string, env = process.env): Promise<InfluxTarget | undefined> {
  const fromEnv = env.SAFESTAR_INFLUX_URL;
  if (fromEnv) {
    const { url, database } = parseInfluxUrl(fromEnv);
    return { url, database, source: 'env', stop: async () => {} };
  }
  if (!influxdAvailable()) return undefined;
  const { dir, pidFile } = privatePaths(dataDir);
  await stopLeftoverInfluxd(pidFile, dir);
  const handle: InfluxdHandle = await startInfluxd({ dir, keep: true, detached: true, pidFile });
  return { url: handle.url, database: 'safestar', source: 'private', stop: (graceMs) => handle.stop(graceMs) };
}
