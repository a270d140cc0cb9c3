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
  Cluster mode: add --pg URL to 'edges add|list|revoke' (the cluster's PostgreSQL, read by every ingress).

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

  registerClusterRoles(hub);

  // `--data` is the hub command's own option; commander hands it to `hub` wherever it appears
  // (`safestar hub edges add E --data D` too), so the subcommands read it from there.
  const dir = (): { data: string } => ({ data: (hub.opts() as { data: string }).data });
  const edges = hub.command('edges').description("edge credentials: each edge's secret and the compounds it may publish for");
  // --pg: cluster mode's credentials, in the cluster's PostgreSQL (read by every ingress).
  const PG_HELP = "cluster mode: the cluster's PostgreSQL URL (every ingress reads its edge credentials there) instead of <data>/credentials.json";
  edges.command('add <edge>')
    .description("issue (or re-issue) an edge's secret; printed once, only its scrypt hash is stored")
    .requiredOption('--compounds <ids>', 'comma-separated compound ids the edge serves')
    .option('--secret-out <file>', 'also write the secret to this file (mode 0600), for `sim kit --edge-secret-file`')
    .option('--pg <url>', PG_HELP)
    .action(async (edge: string, o: { compounds: string; secretOut?: string; pg?: string }) =>
      o.pg ? (await import('./cluster/credentials-cli.ts')).pgEdgesAdd(edge, { ...o, pg: o.pg }) : (await import('./credentials-cli.ts')).edgesAdd(edge, { ...o, ...dir() }));
  edges.command('revoke <edge>').description('revoke an edge: it is refused from its next CONNECT or publish')
    .option('--pg <url>', PG_HELP)
    .action(async (edge: string, o: { pg?: string }) =>
      o.pg ? (await import('./cluster/credentials-cli.ts')).pgEdgesRevoke(edge, { pg: o.pg }) : (await import('./credentials-cli.ts')).edgesRevoke(edge, dir()));
  edges.command('list').description('list edges and their compounds (never secrets)')
    .option('--pg <url>', PG_HELP)
    .action(async (o: { pg?: string }) => (o.pg ? (await import('./cluster/credentials-cli.ts')).pgEdgesList({ pg: o.pg }) : (await import('./credentials-cli.ts')).edgesList(dir())));

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

/**
 * Cluster roles from the same CLI (issue 13): `safestar hub worker` and `safestar hub ingress`.
 * Settings: --config (a JSON file or JSON text of hub/cluster/config.ts's ClusterConfig), flags,
 * or SAFESTAR_CLUSTER_* variables; flags win. Without them `safestar hub` stays one process.
 */
/** Set on the command line (not commander's default), so a --config file's value is not overridden by a default. */
function given(c: Command, key: string): boolean {
  const src = c.getOptionValueSource(key);
  return src !== undefined && src !== 'default';
}

/**
 * The role's --config. `safestar hub` has a --config of its own (the hub config file), and
 * commander hands an option both define to the parent wherever it appears, so
 * `safestar hub worker --config X` arrives on `hub`.
 */
function clusterConfigArg(hub: Command, o: Record<string, unknown>): string | undefined {
  return (o['config'] ?? (hub.opts() as { config?: string }).config) as string | undefined;
}

function registerClusterRoles(hub: Command): void {
  const common = (c: Command): Command =>
    c
      .option('--config <file|json>', 'cluster settings: a JSON file or JSON text (hub/cluster/config.ts ClusterConfig)')
      .option('--id <id>', 'this process\'s unique name (lease owner / audit)')
      .option('--nats <urls>', 'comma-separated NATS servers, e.g. nats://n1:4222,nats://n2:4222,nats://n3:4222')
      .option('--pg <url>', 'PostgreSQL connection string, e.g. postgres://safestar@db/safestar')
      .option('--partitions <n>', 'compound partitions (64; same on every process)', Number)
      .option('--replicas <n>', 'JetStream stream replicas (3 in production)', Number);
  const flags = (o: Record<string, unknown>) => ({
    id: o['id'] as string | undefined,
    nats: typeof o['nats'] === 'string' ? o['nats'].split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    pg: o['pg'] as string | undefined,
    partitions: o['partitions'] as number | undefined,
    replicas: o['replicas'] as number | undefined,
  });
  common(hub.command('worker'))
    .description('cluster mode: a hub worker owning a share of the compound partitions (state in PostgreSQL, events from JetStream)')
    .option('--series-name <name>', 'durable consumer name for the InfluxDB this worker feeds (a second InfluxDB gets its own)')
    .option('--calibration-grace-ms <ms>', "a review's city calibration leaves out partitions silent this long after its first report (600000 = 10 min)", Number)
    // The hub's own --host, --api-port and --influx apply (commander gives them to `hub` wherever they appear).
    .action(async (o: Record<string, unknown>) => {
      const { loadClusterConfig } = await import('./cluster/config.ts');
      const h = hub.opts() as { host: string; apiPort: number; influx?: string; trustedProxy?: string };
      const cfg = loadClusterConfig(clusterConfigArg(hub, o), {
        ...flags(o),
        apiPort: given(hub, 'apiPort') ? h.apiPort : undefined,
        apiHost: given(hub, 'host') ? h.host : undefined,
        influx: h.influx ?? process.env['SAFESTAR_INFLUX_URL'],
        seriesName: o['seriesName'] as string | undefined,
        trustedProxies: h.trustedProxy ? (await import('./config.ts')).parseProxies(h.trustedProxy) : undefined,
        calibrationGraceMs: o['calibrationGraceMs'] as number | undefined,
      });
      await (await import('./cluster/run-worker.ts')).runWorker(cfg);
    });
  common(hub.command('ingress'))
    .description('cluster mode: an MQTT ingress for edges that publishes their batches to JetStream (PUBACK after the quorum ack)')
    // The hub's own --host, --mqtt-port, --api-port (/metrics) and --insecure-dev apply. Edge credentials are the cluster's,
    // in PostgreSQL (`safestar hub edges add … --pg URL`), so every ingress sees one list.
    .action(async (o: Record<string, unknown>) => {
      const { loadClusterConfig } = await import('./cluster/config.ts');
      const h = hub.opts() as { host: string; mqttPort: number; apiPort: number; insecureDev?: boolean };
      const cfg = loadClusterConfig(clusterConfigArg(hub, o), {
        ...flags(o),
        mqttHost: given(hub, 'host') ? h.host : undefined,
        mqttPort: given(hub, 'mqttPort') ? h.mqttPort : undefined,
        // An ingress serves only GET /metrics there.
        apiHost: given(hub, 'host') ? h.host : undefined,
        apiPort: given(hub, 'apiPort') ? h.apiPort : undefined,
      });
      await (await import('./cluster/run-ingress.ts')).runIngress(cfg, { insecureDev: h.insecureDev === true });
    });
}
