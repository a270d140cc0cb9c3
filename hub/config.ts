import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import { checkCity, type City } from '../protocol/city.ts';
import { describeProblems } from '../protocol/validate.ts';
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

/** PEM files for TLS: `--tls-cert`, `--tls-key` (both or neither), `--tls-client-ca` (needs the two). */
export function loadTls(o: { tlsCert?: string; tlsKey?: string; tlsClientCa?: string }): { key: Buffer; cert: Buffer; clientCa?: Buffer } | undefined {
  if (!o.tlsCert && !o.tlsKey) {
    if (o.tlsClientCa) throw new HubError('SS_HUB_TLS', '--tls-client-ca needs --tls-cert and --tls-key (the hub\'s own certificate) too');
    return undefined;
  }
  if (!o.tlsCert || !o.tlsKey) throw new HubError('SS_HUB_TLS', 'give both --tls-cert and --tls-key (PEM files), or neither');
  const read = (file: string, what: string): Buffer => {
    let b: Buffer;
    try {
      b = readFileSync(file);
    } catch (e) {
      throw new HubError('SS_HUB_TLS', `cannot read ${what} '${file}': ${(e as Error).message}`);
    }
    if (!b.includes('-----BEGIN ')) throw new HubError('SS_HUB_TLS', `${what} '${file}' is not a PEM file (no -----BEGIN line)`);
    return b;
  };
  const key = read(o.tlsKey, '--tls-key');
  const cert = read(o.tlsCert, '--tls-cert');
  try {
    // Fail at start with a clear code, not at the first handshake.
    createSecureContext({ key, cert });
  } catch (e) {
    throw new HubError('SS_HUB_TLS', `--tls-cert/--tls-key do not make a usable pair: ${(e as Error).message}`);
  }
  return { key, cert, ...(o.tlsClientCa ? { clientCa: read(o.tlsClientCa, '--tls-client-ca') } : {}) };
}

/** `--trusted-proxy 10.0.0.5,10.1.0.0/16`: addresses or CIDRs (IPv4/IPv6). */
export function parseProxies(raw: string | undefined): string[] {
  if (!raw) return [];
  const out = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of out) {
    const [addr, bits, ...rest] = p.split('/');
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(addr ?? '') === 6 ? 128 : 32));
    if (rest.length || !isIP(addr ?? '') || !okBits) {
      throw new HubError('SS_HUB_CONFIG', `--trusted-proxy '${p.slice(0, 80)}' is not an IP address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/8)`);
    }
  }
  return out;
}
