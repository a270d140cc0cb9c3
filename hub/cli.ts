import { Option, type Command } from 'commander';
import type { HubCliOptions } from './options.ts';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`SS_HUB_CONFIG: port '${v}' must be an integer 0–65535 (0 = any free port)`);
  return n;
}

function bytes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 65_536) throw new Error(`SS_HUB_CONFIG: --max-packet-bytes '${v}' must be an integer ≥ 65536`);
  return n;
}

const HELP = `
Credentials (required unless --insecure-dev):
  safestar hub edges add EDGE-ID --compounds c0001,c0002   issue an edge's secret (printed once)
  safestar hub tokens add police|operator|officer --department police
  safestar hub edges list | revoke EDGE-ID;  safestar hub tokens list | revoke TOKEN-ID
  Only hashes are stored, in <data>/credentials.json; a revoke applies without a restart.

TLS (API over https, edges over mqtts):
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=hub.example \\
      -addext subjectAltName=DNS:hub.example -keyout hub.key -out hub.crt
  safestar hub --tls-cert hub.crt --tls-key hub.key [--tls-client-ca edges-ca.crt]
  Edges then use uplink.url mqtts://hub.example:PORT and uplink.caFile hub.crt (the CA that
  signed the hub's certificate); with --tls-client-ca they also need uplink.certFile/keyFile.
  Behind a reverse proxy that terminates TLS, pass --trusted-proxy ADDR so resident-report
  limits key on the client's address from X-Forwarded-For (never believed from anyone else).
`;

export function registerHub(program: Command): void {
  const hub = program
    .command('hub')
    .description('Run the city hub: MQTT ingest from edges, InfluxDB writer, safety ratings and the HTTP API')
    .option('--data <dir>', 'data folder for the SQLite files and credentials.json', './data/hub')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--mqtt-port <n>', 'MQTT port for edges (0 = free port; 1883 is usually taken)', port, 0)
    .option('--api-port <n>', 'HTTP API port (0 = free port)', port, 0)
    .option('--config <file>', 'hub config JSON (examples/hub.example.json); flags and environment variables override it')
    .addOption(new Option('--influx <url>', 'InfluxDB as http://host:port/database; absent = events wait in the queue').env('SAFESTAR_INFLUX_URL'))
    .option('--city <file>', 'city JSON (safestar sim city) to register compounds and devices')
    .option('--insecure-dev', 'accept ANY edge for any compound without credentials (throwaway local tests only)')
    .option('--tls-cert <file>', 'PEM certificate: serve the API over https and MQTT over TLS (mqtts)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'PEM CA: edges must also present a client certificate it signed')
    .option('--trusted-proxy <addrs>', 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed')
    .option('--max-packet-bytes <n>', 'largest MQTT packet an edge may send (default 8 MiB + 64 KiB)', bytes)
    .addOption(new Option('--public-url <url>', 'base URL printed in QR codes (default: the request\'s host)').env('SAFESTAR_PUBLIC_URL'))
    .addOption(new Option('--map-tile-url <url>', "the city's own basemap tiles {z}/{x}/{y} (default: the offline district layer)").env('SAFESTAR_MAP_TILE_URL'))
    .addOption(new Option('--log-level <level>', 'log level of the JSON logs on stdout').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).env('LOG_LEVEL'))
    .addHelpText('after', HELP)
    .action(async (o: HubCliOptions, cmd: Command) => {
      // Loaded on use: `safestar --help` stays fast and doesn't open native modules.
      const { loadHubConfig } = await import('./config-file.ts');
      const { mergeHubOptions } = await import('./options.ts');
      const file = o.config ? loadHubConfig(o.config) : undefined;
      const { runHub } = await import('./main.ts');
      await runHub(mergeHubOptions(o, (k) => cmd.getOptionValueSource(k), file));
    });

  // `--data` is the hub command's own option; commander hands it to `hub` wherever it appears
  // (`safestar hub edges add E --data D` too), so the subcommands read it from there.
  const dir = (): { data: string } => ({ data: (hub.opts() as { data: string }).data });
  const edges = hub.command('edges').description("edge credentials: each edge's secret and the compounds it may publish for");
  edges.command('add <edge>')
    .description("issue (or re-issue) an edge's secret; printed once, only its scrypt hash is stored")
    .requiredOption('--compounds <ids>', 'comma-separated compound ids the edge serves')
    .option('--secret-out <file>', 'also write the secret to this file (mode 0600), for `sim kit --edge-secret-file`')
    .action(async (edge: string, o: { compounds: string; secretOut?: string }) => (await import('./credentials-cli.ts')).edgesAdd(edge, { ...o, ...dir() }));
  edges.command('revoke <edge>').description('revoke an edge: it is refused from its next CONNECT or publish')
    .action(async (edge: string) => (await import('./credentials-cli.ts')).edgesRevoke(edge, dir()));
  edges.command('list').description('list edges and their compounds (never secrets)')
    .action(async () => (await import('./credentials-cli.ts')).edgesList(dir()));

  const tokens = hub.command('tokens').description('API tokens of departments, operators and legal officers');
  tokens.command('add <role>')
    .description('issue a token: DEPARTMENT (posts its cases, e.g. police), operator (alarms, lists) or officer (check-ins only; needs --department); printed once')
    .option('--department <id>', "the officer's department")
    .action(async (role: string, o: { department?: string }) => (await import('./credentials-cli.ts')).tokensAdd(role, { ...o, ...dir() }));
  tokens.command('revoke <id>').description('revoke a token by its id (from `tokens list`)')
    .action(async (id: string) => (await import('./credentials-cli.ts')).tokensRevoke(id, dir()));
  tokens.command('list').description('list tokens: id, role, department (never the tokens)')
    .action(async () => (await import('./credentials-cli.ts')).tokensList(dir()));
}
