import { readFileSync } from 'node:fs';
import { checkCity, type City } from '../protocol/city.ts';
import { describeProblems } from '../protocol/validate.ts';
import type { EdgeCredential } from './auth.ts';
import { HubError } from './errors.ts';
import type { InfluxTarget } from './store/influxWriter.ts';

/** Default database when an InfluxDB URL names none. */
export const DEFAULT_DATABASE = 'safestar';

/** `http://host:port/db` → { url: 'http://host:port', database: 'db' } (db defaults to safestar). */
export function parseInfluxUrl(raw: string): InfluxTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new HubError('SS_HUB_CONFIG', `InfluxDB URL '${raw}' is not a URL; use http://host:port/database`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new HubError('SS_HUB_CONFIG', `InfluxDB URL '${raw}' must be http(s); use http://host:port/database`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, '')) || DEFAULT_DATABASE;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(database)) {
    throw new HubError('SS_HUB_CONFIG', `InfluxDB database '${database}' must match [A-Za-z0-9_.-]{1,64}`);
  }
  return { url: `${u.protocol}//${u.host}`, database };
}

export function loadCity(file: string): City {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new HubError('SS_HUB_CONFIG', `cannot read city file '${file}': ${(e as Error).message}; create one with 'safestar sim city --out FILE'`);
  }
  const r = checkCity(json);
  if (!r.ok) throw new HubError('SS_HUB_CONFIG', `city file '${file}' is invalid: ${describeProblems(r.problems)}`);
  return r.value;
}

/** Edge credentials file: JSON array of { id, passwordHash } (scrypt$salt$hash). */
export function loadEdges(file: string): EdgeCredential[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new HubError('SS_HUB_CONFIG', `cannot read edges file '${file}': ${(e as Error).message}`);
  }
  if (!Array.isArray(json)) throw new HubError('SS_HUB_CONFIG', `edges file '${file}' must be a JSON array of {id, passwordHash}`);
  return json.map((e: unknown, i) => {
    const o = e as Partial<EdgeCredential> | null;
    if (!o || typeof o.id !== 'string' || typeof o.passwordHash !== 'string' || !o.passwordHash.startsWith('scrypt$')) {
      throw new HubError('SS_HUB_CONFIG', `edges file '${file}' [${i}]: needs {id, passwordHash: "scrypt$…"}`);
    }
    return { id: o.id, passwordHash: o.passwordHash };
  });
}
