import { Command } from 'commander';
import { VERSION } from '../common/version.ts';

type Register = (program: Command) => void;

/**
 * Every top-level command and where it lives. Only the area being run is imported: loading all of
 * them (node-opcua, onnxruntime, fastify, the simulators) took ~5 s before any command started.
 */
const AREAS: { name: string; description: string; load: () => Promise<Register> }[] = [
  { name: 'demo', description: 'run a whole demo city on this machine: simulators → edges → hub → InfluxDB', load: async () => (await import('./demo.ts')).registerDemo },
  { name: 'hub', description: 'run the city hub: MQTT ingest from edges, InfluxDB writer, safety ratings, HTTP API', load: async () => (await import('../hub/cli.ts')).registerHub },
  { name: 'edge', description: 'run an edge node: device broker, codecs, durable outbox, uplink to the hub', load: async () => (await import('../edge/cli.ts')).registerEdge },
  { name: 'sim', description: 'device simulators: a city, a site, one device, incidents with ground truth, an OPC UA site', load: async () => (await import('../simulators/cli.ts')).registerSim },
  { name: 'index', description: 'safety index: policy checks, calibration, simulated cases', load: async () => (await import('./index.ts')).registerIndex },
  { name: 'models', description: 'anomaly models: train, evaluate, benchmark', load: async () => (await import('../models/cli.ts')).registerModels },
  { name: 'bench', description: 'benchmarks against raw baselines: edge, hub, e2e, memory, scaling, scoring', load: async () => (await import('../bench/cli.ts')).registerBench },
  { name: 'dashboards', description: 'build the Grafana dashboards and provisioning files from code', load: async () => (await import('../dashboards/cli.ts')).registerDashboards },
];

const program = new Command('safestar')
  .description('Safe star-rated compounds: edge nodes, city hub, device simulators')
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError();

const args = process.argv.slice(2);
const wanted = args[0] === 'help' ? args[1] : args[0];
for (const area of AREAS) {
  if (area.name === wanted) (await area.load())(program);
  else program.command(area.name).description(area.description); // listed in --help; never run
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Errors carry a stable code and say what to do; a stack trace only helps a developer.
  const e = err as Error & { code?: string };
  process.stderr.write(`${e.code && !e.message.startsWith(e.code) ? `${e.code}: ` : ''}${e.message}\n`);
  if (process.env['SAFESTAR_DEBUG']) process.stderr.write(`${e.stack ?? ''}\n`);
  process.exitCode = 1;
}
