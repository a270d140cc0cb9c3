import type { HubConfigFile, LogLevelName } from './config-file.ts';

/** What `safestar hub` runs with, after flags, environment and the config file are merged. */
export interface HubCliOptions {
  data: string;
  host: string;
  mqttPort: number;
  apiPort: number;
  influx?: string;
  city?: string;
  insecureDev?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  trustedProxy?: string;
  maxPacketBytes?: number;
  publicUrl?: string;
  mapTileUrl?: string;
  logLevel?: LogLevelName;
  config?: string;
}

/** Where commander says a value came from. */
export type Source = string | undefined;

/**
 * One precedence everywhere: a flag beats its environment variable, which beats the config
 * file, which beats the built-in default. Pure, so the order is tested without a process.
 */
export function mergeHubOptions(cli: HubCliOptions, source: (key: keyof HubCliOptions) => Source, file: HubConfigFile | undefined): HubCliOptions {
  if (!file) return cli;
  const fromFile: Partial<HubCliOptions> = {
    ...(file.data !== undefined ? { data: file.data } : {}),
    ...(file.host !== undefined ? { host: file.host } : {}),
    ...(file.mqttPort !== undefined ? { mqttPort: file.mqttPort } : {}),
    ...(file.apiPort !== undefined ? { apiPort: file.apiPort } : {}),
    ...(file.influx !== undefined ? { influx: file.influx } : {}),
    ...(file.city !== undefined ? { city: file.city } : {}),
    ...(file.publicUrl !== undefined ? { publicUrl: file.publicUrl } : {}),
    ...(file.mapTileUrl !== undefined ? { mapTileUrl: file.mapTileUrl } : {}),
    ...(file.logLevel !== undefined ? { logLevel: file.logLevel } : {}),
    ...(file.trustedProxies?.length ? { trustedProxy: file.trustedProxies.join(',') } : {}),
    ...(file.maxPacketBytes !== undefined ? { maxPacketBytes: file.maxPacketBytes } : {}),
    ...(file.tls ? { tlsCert: file.tls.cert, tlsKey: file.tls.key, ...(file.tls.clientCa ? { tlsClientCa: file.tls.clientCa } : {}) } : {}),
  };
  const out: HubCliOptions = { ...cli };
  for (const [k, v] of Object.entries(fromFile) as [keyof HubCliOptions, never][]) {
    const s = source(k);
    if (s !== 'cli' && s !== 'env') out[k] = v;
  }
  return out;
}
