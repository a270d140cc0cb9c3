import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import Type, { type Static } from 'typebox';
import { compileChecker, describeProblems } from '../protocol/validate.ts';
import { HubError } from './errors.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LogLevel = Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')]);
export type LogLevelName = (typeof LOG_LEVELS)[number];

const Port = Type.Integer({ minimum: 0, maximum: 65_535, description: '0 = any free port' });

/**
 * `safestar hub --config hub.json`: the hub's settings in one file, checked at start like the
 * edge's site config. Secrets are not here: edge secrets and API tokens live hashed in
 * <data>/credentials.json (`safestar hub edges|tokens add`). `--insecure-dev` is a flag only, so a
 * file copied between machines can never switch edge authentication off.
 */
export const HubConfigSchema = Type.Object(
  {
    data: Type.Optional(Type.String({ minLength: 1, description: 'data folder (SQLite files, credentials.json)' })),
    host: Type.Optional(Type.String({ minLength: 1, description: 'address to bind' })),
    mqttPort: Type.Optional(Port),
    apiPort: Type.Optional(Port),
    influx: Type.Optional(Type.String({ minLength: 1, description: 'InfluxDB as http://host:port/database' })),
    city: Type.Optional(Type.String({ minLength: 1, description: 'city JSON file' })),
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: 'base URL in QR codes, e.g. https://safe.example.gov.cn' })),
    mapTileUrl: Type.Optional(Type.String({ minLength: 1, description: "the city's own basemap tiles, e.g. https://tiles.example.gov.cn/{z}/{x}/{y}.png (none: the offline district layer)" })),
    logLevel: Type.Optional(LogLevel),
    trustedProxies: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 })),
    maxPacketBytes: Type.Optional(Type.Integer({ minimum: 65_536 })),
    tls: Type.Optional(Type.Object({ cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }), clientCa: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export type HubConfigFile = Static<typeof HubConfigSchema>;

const check = compileChecker<HubConfigFile>(HubConfigSchema);

/** Read, parse and check a hub config file. Relative paths in it are relative to the file. */
export function loadHubConfig(path: string): HubConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new HubError('SS_HUB_CONFIG_READ', `cannot read '${path}': ${(e as Error).message}; check the path given to --config`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HubError('SS_HUB_CONFIG_JSON', `'${path}' is not JSON: ${(e as Error).message}`);
  }
  const r = check(value);
  if (!r.ok) throw new HubError('SS_HUB_CONFIG_INVALID', `'${path}': ${describeProblems(r.problems)}; see examples/hub.example.json`);
  const near = (p: string | undefined): string | undefined => (p === undefined || isAbsolute(p) ? p : resolve(dirname(path), p));
  const c = r.value;
  return {
    ...c,
    ...(c.data !== undefined ? { data: near(c.data) as string } : {}),
    ...(c.city !== undefined ? { city: near(c.city) as string } : {}),
    ...(c.tls ? { tls: { cert: near(c.tls.cert) as string, key: near(c.tls.key) as string, ...(c.tls.clientCa ? { clientCa: near(c.tls.clientCa) as string } : {}) } } : {}),
  };
}
