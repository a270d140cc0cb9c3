import type { Principal, TokenConfig } from './cases/auth.ts';
import { CaseAuth, tokensFromEnv } from './cases/auth.ts';
import { loadCity, loadTls, parseInfluxUrl, parseProxies } from './config.ts';
import { CredentialStore, type StoredToken } from './credentials.ts';
import { HubError } from './errors.ts';
import { startHub, type Hub } from './hub.ts';
import { productHub } from './product.ts';
import type { HubCliOptions } from './options.ts';
import { pino } from 'pino';

export type { HubCliOptions } from './options.ts';

/** Issued tokens as a digest → principal map, rebuilt only when the store re-read its file. */
function issuedTokens(store: CredentialStore): () => ReadonlyMap<string, Principal> {
  let last: readonly StoredToken[] | undefined;
  let map = new Map<string, Principal>();
  return () => {
    const list = store.tokens();
    if (list !== last) {
      last = list;
      map = new Map(list.map((t): [string, Principal] => [t.sha256, t.role === 'operator' ? { kind: 'operator' } : { kind: t.role, department: t.department ?? '' }]));
    }
    return map;
  };
}

/** Wiring only: read files, start the hub, close it once on SIGINT/SIGTERM. */
export async function runHub(o: HubCliOptions): Promise<Hub> {
  const store = new CredentialStore(o.data);
  if (!o.insecureDev && store.edges().length === 0) {
    throw new HubError(
      'SS_HUB_NO_CREDENTIALS',
      `no edge credentials in '${store.file}', so no edge could connect. Issue one per edge with ` +
        `'safestar hub edges add EDGE-ID --compounds c0001,c0002 --data ${o.data}' (it prints the edge's secret once), ` +
        `or run 'safestar hub --insecure-dev' for a throwaway local test that accepts any edge`,
    );
  }
  // Flags, environment (SAFESTAR_INFLUX_URL via commander) and --config are merged by the caller.
  const influxUrl = o.influx;
  const influx = influxUrl ? parseInfluxUrl(influxUrl) : undefined;
  const city = o.city ? loadCity(o.city) : undefined;
  const tls = loadTls(o);
  const trustedProxies = parseProxies(o.trustedProxy);
  const tokens: TokenConfig = { ...tokensFromEnv(), issued: issuedTokens(store) };
  const people = new CaseAuth(tokens);
  const hub = await startHub({
    dataDir: o.data,
    mqtt: { host: o.host, port: o.mqttPort },
    api: { host: o.host, port: o.apiPort },
    influx,
    ...productHub({ ...(influx ? { influx } : {}), ...(city ? { districts: city.districts } : {}), tokens, ...(o.publicUrl ? { publicBaseUrl: o.publicUrl } : {}), ...(o.mapTileUrl ? { mapTileUrl: o.mapTileUrl } : {}) }),
    city,
    ...(o.insecureDev ? {} : { edges: () => store.edges() }),
    isOperator: (h) => people.identify(h)?.kind === 'operator',
    ...(tls ? { tls } : {}),
    ...(trustedProxies.length ? { trustedProxies } : {}),
    ...(o.maxPacketBytes ? { mqttMaxPacketBytes: o.maxPacketBytes } : {}),
    log: pino({ name: 'safestar-hub', level: o.logLevel ?? 'info' }),
  });
  process.stdout.write(`hub: mqtt ${hub.mqttUrl}  api ${hub.apiUrl}  console ${hub.apiUrl}/  map ${hub.apiUrl}/map${o.insecureDev ? '  (INSECURE DEV MODE: any edge may connect)' : ''}\n`);
  const stop = (): void => {
    void hub.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return hub;
}
