import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { DEVICE_KINDS, type DeviceKind, type EventType } from '../protocol/devices.ts';
import { isVendorProfile } from '../protocol/vendors.ts';
import { cityToJson, compoundOf, generateCity } from './city.ts';
import { commissionDevice } from './commission.ts';
import { confirmDevices } from './confirm.ts';
import { opcuaEndpointFor } from './opcua-items.ts';
import { runSimulation, type SimOptions } from './run.ts';
import { planScenarios } from './scenarios/plan.ts';
import { readEdgeSecret, siteConfigForCity } from './site-config.ts';
import { generateTraffic, truthLines } from './traffic.ts';
import {
  badKinds, compoundIdsOf, int, list, loadCity, loadPasswords, num, progressLine, scenarioNames, summary, tlsOf, writeOut,
  type CityArgs, type TlsArgs,
} from './cli-helpers.ts';

/**
 * `safestar sim …`: wiring only; the logic lives in city.ts, site-config.ts, run.ts,
 * commission.ts, scenarios/ and opcua-server.ts.
 */
function cityOptions(c: Command): Command {
  return c
    .option('--city <file>', 'city JSON (from `sim city --out`); default: generate one')
    .option('--compounds <n>', 'compounds to generate when no --city', int, 1)
    .option('--seed <n>', 'seed for the city and the traffic', int, 1);
}

function mqttOptions(c: Command): Command {
  return c
    .requiredOption('--broker <url>', "the edge's device broker (mqtt://host:port or mqtts://…); `safestar edge` prints it")
    .option('--ca <file>', 'TLS: CA certificate (PEM) to trust')
    .option('--cert <file>', 'TLS: client certificate (PEM)')
    .option('--key <file>', 'TLS: client key (PEM)')
    .option('--insecure', 'TLS: accept any server certificate (commissioning only)');
}

interface RunArgs extends CityArgs, TlsArgs {
  compoundIds?: string;
  passwords?: string;
  broker: string;
  rate?: number;
  rhythm?: 'daily' | 'flat';
  duration?: number;
  maxEvents?: number;
  truth?: string;
  scenario?: string;
  bad?: string;
  speed: number;
  delay: number;
  heartbeats: boolean;
  edgeApi?: string;
}

async function runFromCli(a: RunArgs, scenarios: string[]): Promise<void> {
  const city = loadCity(a);
  const compoundIds = compoundIdsOf(city, a.compoundIds);
  const ctl = new AbortController();
  const onSig = (): void => ctl.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  const tls = tlsOf(a);
  const opts: SimOptions = {
    city, compoundIds, brokerUrl: a.broker, passwords: loadPasswords(a.passwords), seed: a.seed,
    ...(a.rate !== undefined ? { ratePerSecond: a.rate } : {}),
    ...(a.rhythm ? { rhythm: a.rhythm } : {}),
    ...(a.duration !== undefined ? { durationMs: a.duration * 1000 } : {}),
    ...(a.maxEvents !== undefined ? { maxEvents: a.maxEvents } : {}),
    ...(tls ? { tls } : {}),
    heartbeats: a.heartbeats,
    signal: ctl.signal,
    onProgress: progressLine,
    scenarios: scenarioNames(scenarios.join(',')).map((scenario, i) => ({ scenario, afterMs: a.delay * 1000 + i * 2000 })),
    ...(a.bad ? { bad: badKinds(a.bad).map((bad, i) => ({ bad, afterMs: a.delay * 1000 + i * 1000 })) } : {}),
    speed: a.speed,
    byDevice: true,
    ...(a.edgeApi ? { edgeApi: { url: a.edgeApi } } : {}),
  };
  process.stderr.write(`simulating ${compoundIds.length} compound(s) against ${a.broker}${scenarios.length ? `, incidents: ${scenarios.join(', ')}` : ''} (Ctrl-C stops)\n`);
  const report = await runSimulation(opts);
  process.off('SIGINT', onSig);
  process.off('SIGTERM', onSig);
  if (a.truth) writeFileSync(a.truth, truthLines(report.truth));
  process.stderr.write(summary(report));
  if (a.truth) process.stderr.write(`ground truth: ${a.truth} (${report.truth.length} records)\n`);
  if (a.edgeApi) {
    const c = await confirmDevices(a.edgeApi, report.byDevice ?? {}, report.startMs, fetch, report.probeAnswers);
    if (!c.ok) process.stderr.write(`edge API: ${c.error}\n`);
    else {
      for (const d of c.devices) {
        const e = d.edge;
        process.stderr.write(`${d.confirmed ? 'confirmed    ' : 'NOT CONFIRMED'} ${d.device.padEnd(16)} sent ${String(d.simAcked).padStart(5)}  edge saw ${e ? `${e.messages} msgs, ${e.events} events, last ${e.lastEvent ?? '-'}${e.lastError ? `, error ${e.lastError.code}: ${e.lastError.reason}` : ''}` : 'nothing (not in its site config?)'}\n`);
      }
      const bad = c.devices.filter((d) => !d.confirmed).length;
      process.stderr.write(`${c.devices.length - bad} of ${c.devices.length} devices confirmed by the edge\n`);
      if (bad > 0) process.exitCode = 1;
    }
  }
  process.stdout.write(`${JSON.stringify({ sent: report.sent, acked: report.acked, errors: report.errors, connectFailures: report.connectAttemptsFailed, neverConnected: report.neverConnected, expectedEvents: report.expectedEvents, devices: report.devices, truth: report.truth.length })}\n`);
  // errors counts failed publishes and devices that never got in; retried connects are not errors.
  if (report.errors > 0) process.exitCode = 1;
}

function runOptions(c: Command): Command {
  return mqttOptions(cityOptions(c))
    .option('--compound-ids <ids>', 'comma-separated compounds (default: all of the city)')
    .option('--passwords <file>', 'device passwords JSON (from `sim kit --passwords-out`)')
    .option('--rate <n>', 'events-channel messages per second across the devices (default: realistic rates)', num)
    .option('--rhythm <r>', "'daily' (peaks, night lull) or 'flat'")
    .option('--duration <s>', 'run this many seconds (default: until Ctrl-C)', num)
    .option('--max-events <n>', 'stop after exactly this many expected events', int)
    .option('--bad <kinds>', 'bad traffic to send on purpose: malformed-json,wrong-types,oversized,unknown-device,wrong-topic,flood,duplicate')
    .option('--truth <file>', 'write the ground truth (JSONL) of incidents and bad traffic here')
    .option('--speed <x>', 'play incidents x times faster than life', num, 1)
    .option('--delay <s>', 'start incidents this many seconds into the run', num, 5)
    .option('--no-heartbeats', 'do not send heartbeats')
    .option('--edge-api <url>', "edge's local API: at the end, show what the edge saw of every device");
}

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('device simulators: a city, a site, one device, incidents with ground truth, an OPC UA site');

  sim.command('city')
    .description('write a seeded city (districts, compounds, devices) as JSON; same seed → same bytes')
    .requiredOption('--compounds <n>', 'number of compounds (Xiamen: 2285)', int)
    .option('--seed <n>', 'seed', int, 1)
    .option('--districts <n>', 'number of districts', int, 6)
    .option('--name <name>', 'city name')
    .option('--out <file>', 'output file (default: stdout)')
    .action((a: { compounds: number; seed: number; districts: number; name?: string; out?: string }) => {
      const city = generateCity({ compounds: a.compounds, seed: a.seed, districts: a.districts, ...(a.name ? { name: a.name } : {}) });
      writeOut(a.out, cityToJson(city));
      if (a.out) process.stderr.write(`${a.out}: ${city.compounds.length} compounds, ${city.compounds.reduce((n, c) => n + c.devices.length, 0)} devices, ${city.districts.length} districts\n`);
    });

  cityOptions(sim.command('kit'))
    .description("write an edge's site config for some compounds plus the devices' passwords (the commissioning kit)")
    .requiredOption('--edge-id <id>', 'edge id')
    .option('--compound-ids <ids>', 'comma-separated compounds (default: all)')
    .option('--hub <url>', "hub broker URL for the edge's uplink", 'mqtt://127.0.0.1:1884')
    .option('--data <dir>', "edge's data folder", 'data/edge')
    .option('--broker-port <n>', 'device broker port (0 = free port)', int, 0)
    .option('--api-port <n>', 'local API port (0 = free port)', int, 0)
    .option('--out <file>', 'site config file', 'site.json')
    .option('--passwords-out <file>', 'device passwords (keep it secret)', 'passwords.json')
    .option('--api-token-out <file>', "bearer token for the edge API's /deadletters (keep it secret)", 'api-token.txt')
    .option('--opcua <url>', 'also map the simulated OPC UA site (`sim opcua`) onto the first compound\'s fence and barrier, e.g. opc.tcp://127.0.0.1:4840')
    .option('--edge-secret-file <file>', "the edge's hub secret (`safestar hub edges add EDGE --secret-out FILE`), written into uplink.password")
    .option('--hub-ca <file>', 'PEM CA the edge trusts for an mqtts:// hub (uplink.caFile)')
    .option('--deterministic-secrets', 'derive device passwords and the privacy secret from the seed (repeatable tests only: anyone with city.json can recompute them)')
    .action((a: CityArgs & { edgeId: string; compoundIds?: string; hub: string; data: string; brokerPort: number; apiPort: number; out: string; passwordsOut: string; apiTokenOut: string; edgeSecretFile?: string; hubCa?: string; deterministicSecrets?: boolean; opcua?: string }) => {
      const city = loadCity(a);
      const uplinkPassword = a.edgeSecretFile ? readEdgeSecret(a.edgeSecretFile) : undefined;
      const kit = siteConfigForCity(city, {
        edgeId: a.edgeId, compoundIds: compoundIdsOf(city, a.compoundIds), hubUrl: a.hub, dataDir: a.data, brokerPort: a.brokerPort, apiPort: a.apiPort, seed: a.seed,
        ...(a.deterministicSecrets ? { deterministicSecrets: true } : {}),
        ...(uplinkPassword !== undefined ? { uplinkPassword } : {}),
        ...(a.hubCa ? { uplinkCaFile: a.hubCa } : {}),
      });
      if (uplinkPassword === undefined) process.stderr.write(`warning: no --edge-secret-file: the edge connects to the hub without a secret, which a hub refuses unless started with --insecure-dev\n`);
      const first = kit.config.compounds[0];
      if (a.opcua && first) kit.config.opcua = [opcuaEndpointFor(compoundOf(city, first.id), a.opcua)];
      // The site config holds the privacy secret and the edge's hub secret: owner-only.
      writeFileSync(a.out, `${JSON.stringify(kit.config, null, 2)}\n`, { mode: 0o600 });
      writeFileSync(a.passwordsOut, `${JSON.stringify(kit.passwords, null, 2)}\n`, { mode: 0o600 });
      writeFileSync(a.apiTokenOut, `${kit.apiToken}\n`, { mode: 0o600 });
      process.stderr.write(`${a.out}: ${kit.config.devices.length} devices in ${kit.config.compounds.length} compounds; passwords in ${a.passwordsOut}; /deadletters token in ${a.apiTokenOut}\n`);
    });

  runOptions(sim.command('site'))
    .description("run every device of the chosen compounds against an edge's broker, with a live progress line")
    .option('--scenario <names>', 'incidents to inject (comma-separated)')
    .action((a: RunArgs) => runFromCli(a, a.scenario ? list(a.scenario) : []));

  runOptions(sim.command('scenario'))
    .description('run the compounds and inject incidents with ground truth: burglary-night, tailgating-burst, card-cloning, blacklisted-plate, loitering, door-held-open, offline-storm, tamper, flapping-device')
    .argument('<names...>', 'scenario names')
    .action((names: string[], a: RunArgs) => runFromCli({ ...a, duration: a.duration ?? 20 }, names.flatMap(list)));

  mqttOptions(sim.command('device'))
    .description('stand in for one device with its id and password; report whether the edge accepted and decoded each message')
    .requiredOption('--id <device>', 'device id (also the MQTT username and client id)')
    .option('--password <pw>', 'device password')
    .option('--username <name>', 'MQTT username if not the device id')
    .option('--edge-api <url>', "edge's local API, e.g. http://127.0.0.1:8080 (to read back what it decoded)")
    .option('--city <file>', 'city JSON to look the device up in')
    .option('--compounds <n>', 'or: generate the city with this many compounds', int)
    .option('--seed <n>', 'seed', int, 1)
    .option('--compound <id>', 'compound (when no city)')
    .option('--kind <kind>', `device kind (${DEVICE_KINDS.join(', ')})`)
    .option('--profile <profile>', 'vendor profile (see protocol/VENDORS.md)')
    .option('--count <n>', 'event messages to send after online and a heartbeat', int, 3)
    .option('--types <types>', 'send these event types instead, e.g. door-forced,tamper')
    .action(async (a: TlsArgs & { broker: string; id: string; password?: string; username?: string; edgeApi?: string; city?: string; compounds?: number; seed: number; compound?: string; kind?: string; profile?: string; count: number; types?: string }) => {
      let compound = a.compound;
      let kind = a.kind as DeviceKind | undefined;
      let profile = a.profile;
      let zone: number | undefined;
      if (a.city || a.compounds) {
        const city = loadCity(a);
        const c = city.compounds.find((x) => x.devices.some((d) => d.id === a.id));
        const d = c?.devices.find((x) => x.id === a.id);
        if (!c || !d) throw new Error(`SS_SIM_UNKNOWN_DEVICE: '${a.id}' is not in the city; check the id or pass --compound --kind --profile`);
        compound = c.id; kind = d.kind; profile = d.profile; zone = d.zone;
        compoundOf(city, c.id);
      }
      if (!compound || !kind || !(DEVICE_KINDS as readonly string[]).includes(kind) || !isVendorProfile(profile)) {
        throw new Error('SS_SIM_DEVICE_ARGS: give --city FILE (or --compounds N --seed S), or all of --compound, --kind and --profile');
      }
      const tls = tlsOf(a);
      const r = await commissionDevice({
        brokerUrl: a.broker, deviceId: a.id, compound, kind, profile, count: a.count, seed: a.seed,
        ...(a.types ? { types: list(a.types) as EventType[] } : {}),
        ...(zone !== undefined ? { zone } : {}), ...(a.password !== undefined ? { password: a.password } : {}),
        ...(a.username ? { username: a.username } : {}), ...(a.edgeApi ? { edgeApiUrl: a.edgeApi } : {}), ...(tls ? { tls } : {}),
      });
      if (!r.connected) process.stderr.write(`${a.id}: NOT CONNECTED — ${r.connectError?.code}: ${r.connectError?.reason}\n`);
      if (r.edgeApi && !r.edgeApi.ok) process.stderr.write(`edge API: ${r.edgeApi.status ?? ''} ${r.edgeApi.error ?? ''}\n`);
      for (const s of r.steps) {
        const edge = s.edgeSaw?.error ? `edge: ${s.edgeSaw.error.code} ${s.edgeSaw.error.reason}` : s.edgeSaw?.type ? `edge: ${s.edgeSaw.type}` : '';
        process.stderr.write(`${s.channel.padEnd(9)} ${s.expected.join('+').padEnd(16)} ${s.acked ? 'accepted' : 'NOT ACCEPTED'}  decoded: ${s.decoded}  ${edge}\n`);
      }
      process.stderr.write(r.ok ? `${a.id}: OK — confirmed by the edge\n` : `${a.id}: NOT CONFIRMED\n`);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (!r.ok) process.exitCode = 1;
    });

  cityOptions(sim.command('dump'))
    .description('write generated traffic as JSONL without any broker (training data for the models), with ground truth')
    .option('--compound-ids <ids>', 'comma-separated compounds (default: all)')
    .option('--start <iso>', 'start time (ISO 8601)', '2026-11-30T00:00:00+08:00')
    .option('--hours <n>', 'hours of traffic', num, 24)
    .option('--scenario <names>', 'incidents to inject (placed by the seed)')
    .option('--bad <kinds>', 'bad traffic to include')
    .option('--no-payload', 'leave the vendor payloads out (intents only)')
    .option('--out <file>', 'traffic JSONL (default: stdout)')
    .option('--truth <file>', 'ground truth JSONL')
    .action((a: CityArgs & { compoundIds?: string; start: string; hours: number; scenario?: string; bad?: string; payload: boolean; out?: string; truth?: string }) => {
      const city = loadCity(a);
      const compoundIds = compoundIdsOf(city, a.compoundIds);
      const startMs = Date.parse(a.start);
      if (!Number.isFinite(startMs)) throw new Error(`SS_SIM_ARG: --start '${a.start}' is not an ISO 8601 time`);
      const durationMs = a.hours * 3_600_000;
      const plan = planScenarios({
        city, compoundIds, seed: a.seed, startMs, durationMs,
        scenarios: a.scenario ? scenarioNames(a.scenario).map((scenario) => ({ scenario })) : [],
        bad: a.bad ? badKinds(a.bad).map((bad) => ({ bad })) : [],
      });
      // Written in chunks through one descriptor: a day of a district is millions of lines.
      const fd = a.out ? openSync(a.out, 'w') : 1;
      let chunk: string[] = [];
      let n = 0;
      const flush = (): void => {
        if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      };
      for (const it of generateTraffic({ city, compoundIds, seed: a.seed, startMs, durationMs, plan })) {
        const payload = Buffer.isBuffer(it.payload) ? it.payload.toString('utf8') : it.payload;
        chunk.push(JSON.stringify({ ...it, payload: a.payload ? payload : undefined }));
        n++;
        if (chunk.length >= 5000) flush();
      }
      flush();
      if (a.out) closeSync(fd);
      if (a.truth) writeFileSync(a.truth, truthLines(plan.truth));
      process.stderr.write(`${n} messages${a.out ? ` in ${a.out}` : ''}; ${plan.truth.length} ground-truth records${a.truth ? ` in ${a.truth}` : ''}\n`);
    });

  sim.command('opcua')
    .description('run the simulated OPC UA site (fence controller + barrier PLC) until Ctrl-C')
    .option('--port <n>', 'TCP port (0 = free port)', int, 4840)
    .option('--data <dir>', 'PKI folder (default: a temp folder)')
    .option('--zones <n>', 'fence zones', int, 4)
    .option('--lanes <n>', 'barrier lanes', int, 2)
    .option('--seed <n>', 'seed', int, 1)
    .action(async (a: { port: number; data?: string; zones: number; lanes: number; seed: number }) => {
      // node-opcua is heavy to load: only this command pays for it.
      const { startOpcuaServer } = await import('./opcua-server.ts');
      const s = await startOpcuaServer({ port: a.port, seed: a.seed, fenceZones: a.zones, barrierLanes: a.lanes, ...(a.data ? { dataDir: a.data } : {}) });
      process.stderr.write(`OPC UA site at ${s.endpointUrl} (namespace ${s.namespaceUri})\n${Object.values(s.nodeIds).join('\n')}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await s.stop();
    });
}
