import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { basename, join } from 'node:path';
import { InfluxDB } from 'influx';
import { generateCity } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';
import { hashPassword } from '../../common/password.ts';
import { runSimulation, type SimReport } from '../../simulators/run.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { startEdge, type Edge } from '../../edge/edge.ts';
import type { City } from '../../protocol/city.ts';
import { resolveInflux, stopLeftover, type InfluxTarget } from './influx-target.ts';
import { productHub } from '../../hub/product.ts';
import { randomBytes } from 'node:crypto';
import { Ledger, type Reconciliation, type StoredRow } from './reconcile.ts';
import { demoScorer, showcase, writeGrafana } from './showcase.ts';
import { DEFAULT_MODEL } from '../../edge/scoring/load.ts';

export interface DemoOptions {
  compounds: number;
  seed: number;
  /** Device events per second across the city. */
  rate: number;
  /** Run this long, then drain and summarise; undefined = until the signal aborts. */
  seconds?: number;
  dataDir: string;
  keepData: boolean;
  hubMqttPort: number;
  hubApiPort: number;
  host: string;
  drainTimeoutMs: number;
  /** How long a stop by signal (Ctrl-C) may spend draining before it leaves the rest on disk. */
  stopDrainMs?: number;
  say: (line: string) => void;
  signal?: AbortSignal;
}

/** A timed run (`--seconds`): counted from the stores and reconciled by event id (reconcile.ts). */
export interface DemoSummary extends Omit<Reconciliation, 'lostIds' | 'duplicatedIds' | 'undecodable'> {
  /** Dead letters in the edges' and the hub's stores (kept on disk with the reason). */
  deadLettered: number;
  /** Failed device connect attempts (retried with backoff), and devices that never got in. */
  connectFailures: number;
  neverConnected: number;
  /** Events still waiting in the hub's durable queue (InfluxDB slow or absent): not lost. */
  queued: number;
  compounds: number;
  /** False when there was no InfluxDB to read back: nothing could be compared. */
  reconciled: boolean;
  lostIds?: string[];
  duplicatedIds?: string[];
}

export type DemoResult =
  | { stoppedBy: 'seconds'; summary: DemoSummary }
  /** Stopped by Ctrl-C / SIGTERM: what could not be sent in the short drain stays on disk. */
  | { stoppedBy: 'signal'; queuedOnEdges: number; queuedAtHub: number; dataDir: string };

/** Written when a run stops with events still on disk, read by the next start. */
const STOP_FILE = 'last-stop.json';

/** One edge per district (a police station's node serves the compounds of its district). */
function edgesFor(city: City): { edgeId: string; compoundIds: string[] }[] {
  return city.districts
    .map((d) => ({ edgeId: `edge-${d.id}`, compoundIds: city.compounds.filter((c) => c.district === d.id).map((c) => c.id) }))
    .filter((e) => e.compoundIds.length > 0);
}

function influxOf(target: InfluxTarget): InfluxDB {
  const u = new URL(target.url);
  return new InfluxDB({ host: u.hostname, port: Number(u.port), protocol: u.protocol === 'https:' ? 'https' : 'http', database: target.database });
}

/** Every event point of this run: receivedAt is the edges' clock, so earlier runs' points drop out. */
async function storedSince(target: InfluxTarget, sinceMs: number): Promise<StoredRow[]> {
  const rows = await influxOf(target).query<{ id: string; device: string; type: string }>(
    `SELECT "id", "device", "type" FROM "events" WHERE "receivedAt" >= ${Math.floor(sinceMs)}`,
  );
  return rows.map((r) => ({ id: r.id, device: r.device, type: r.type }));
}

/** Say what happens to the previous run's data (kept with --keep-data, else wiped). */
function previousRun(o: DemoOptions): void {
  const file = join(o.dataDir, STOP_FILE);
  let left: { queuedOnEdges: number; queuedAtHub: number } | undefined;
  try {
    left = JSON.parse(readFileSync(file, 'utf8')) as { queuedOnEdges: number; queuedAtHub: number };
  } catch {
    /* no earlier stop with events left */
  }
  const waiting = left ? left.queuedOnEdges + left.queuedAtHub : 0;
  if (o.keepData) {
    if (existsSync(o.dataDir)) o.say(`Keeping ${o.dataDir} (--keep-data)${waiting ? `: the ${waiting} events the last run left queued are sent on now` : ''}.`);
    rmSync(file, { force: true });
  } else if (existsSync(o.dataDir)) {
    o.say(`Wiping ${o.dataDir} from the last run${waiting ? `, with the ${waiting} events it left queued` : ''} (pass --keep-data to keep it).`);
    rmSync(o.dataDir, { recursive: true, force: true });
  }
}

/**
 * The whole city on one machine: simulators → edges → hub → InfluxDB. A timed run drains, then
 * reconciles every simulated message by id with what InfluxDB holds. A run stopped by the signal
 * drains for a short bound only and says what stays queued on disk.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  // A private influxd a killed run left behind still holds the data folder: stop it first.
  if (await stopLeftover(o.dataDir)) o.say('Stopped the private influxd a previous run left running.');
  previousRun(o);
  const city = generateCity({ compounds: o.compounds, seed: o.seed });
  const influx = await resolveInflux(o.dataDir);
  if (influx) o.say(`InfluxDB: ${influx.url}/${influx.database} (${influx.source === 'env' ? 'SAFESTAR_INFLUX_URL' : 'private influxd under ' + join(o.dataDir, 'influxd')})`);
  else o.say('InfluxDB: none (SAFESTAR_INFLUX_URL unset and no influxd on PATH): events will wait in the hub\'s durable queue.');

  // Demo tokens, new every run, printed so a user can post a case or confirm an alarm right away;
  // 256 random bits like the tokens `safestar hub tokens add` issues.
  const tokens = { police: randomBytes(32).toString('hex'), operator: randomBytes(32).toString('hex') };
  let hub: Hub | undefined;
  const edges: Edge[] = [];
  // Edge credentials, new every run: each edge authenticates and may publish only for its compounds.
  const sites = edgesFor(city);
  const secrets = sites.map(() => randomBytes(24).toString('base64url'));
  // Ctrl-C while starting: stop at the next step instead of starting the rest first.
  const early = (): DemoResult => ({ stoppedBy: 'signal', queuedOnEdges: 0, queuedAtHub: 0, dataDir: o.dataDir });
  try {
    if (o.signal?.aborted) return early();
    hub = await startHub({
      edges: sites.map((s, i) => ({ id: s.edgeId, compounds: s.compoundIds, passwordHash: hashPassword(secrets[i]!) })),
      dataDir: join(o.dataDir, 'hub'),
      mqtt: { host: o.host, port: o.hubMqttPort },
      api: { host: o.host, port: o.hubApiPort },
      ...(influx ? { influx: { url: influx.url, database: influx.database } } : {}),
      city,
      log: false,
      ...productHub({
        ...(influx ? { influx: { url: influx.url, database: influx.database } } : {}),
        tokens: { departments: { police: [tokens.police] }, operators: [tokens.operator] },
        districts: city.districts,
      }),
    });
    if (o.signal?.aborted) return early();
    o.say(`Hub: ${hub.apiUrl}  (try ${hub.apiUrl}/api/compounds; the API with Try it out: ${hub.apiUrl}/docs)`);
    o.say(`Operator console: ${hub.apiUrl}/  log in with the operator token ${tokens.operator}`);
    o.say(`City map (一图): ${hub.apiUrl}/map   Compound page (一码): ${hub.apiUrl}/c/${city.compounds[0]!.id}`);
    o.say(`Post a case as the police: curl -H 'Authorization: Bearer ${tokens.police}' -H 'Content-Type: application/json' -d '{"id":"demo-1","department":"police","category":"burglary","compound":"${city.compounds[0]!.id}","occurredAt":"${new Date().toISOString()}","registeredAt":"${new Date().toISOString()}","status":"registered"}' ${hub.apiUrl}/api/cases`);
    o.say(`Operator token (the console's login; or the API: POST /api/alarms/:id/confirm): ${tokens.operator}`);
    const grafana = writeGrafana(o.dataDir, influx);
    o.say(`Grafana: provisioning under ${grafana} (mount provisioning/ at /etc/grafana/provisioning, dashboards/ at /var/lib/grafana/dashboards/safestar)`);
    const kits = sites.map((s, i) =>
      siteConfigForCity(city, { edgeId: s.edgeId, compoundIds: s.compoundIds, hubUrl: hub!.mqttUrl, dataDir: join(o.dataDir, s.edgeId), uplinkPassword: secrets[i]! }),
    );
    let scoring = 0;
    for (const kit of kits) {
      if (o.signal?.aborted) return await stopBySignal(o, edges, hub);
      const scorer = await demoScorer(kit.config.dataDir);
      if (scorer) scoring++;
      edges.push(await startEdge(kit.config, { log: false, ...(scorer ? { scorer } : {}) }));
    }
    o.say(`Edges: ${edges.map((e, i) => `${sites[i]!.edgeId} ${e.apiUrl}`).join(', ')}`);
    o.say(`Anomaly scorer: ${scoring ? `on at ${scoring} of ${edges.length} edges (models/${basename(DEFAULT_MODEL)})` : `off (models/${basename(DEFAULT_MODEL)} not found)`}`);
    const extras = showcase(sites[0]!.compoundIds[0]!);
    o.say(`Showing everything: a burglary at ${sites[0]!.compoundIds[0]} (its device alarms wait in the console) and bad traffic from one of its devices (dead letters at ${sites[0]!.edgeId})`);
    o.say(`Devices: ${city.compounds.reduce((n, c) => n + c.devices.length, 0)} in ${city.compounds.length} compounds, ~${o.rate} events/s`);

    // Only a timed run keeps the ledger: an open-ended one would grow it without bound.
    const edgeOf = new Map(sites.flatMap((s) => s.compoundIds.map((c) => [c, s.edgeId] as const)));
    const ledger = o.seconds !== undefined ? new Ledger(city, edgeOf, kits[0]?.config.timezone ?? '+08:00') : undefined;
    const runStart = Date.now();

    const stop = new AbortController();
    // One signal stops every edge's devices, connects and bad-traffic senders: many listeners by design.
    setMaxListeners(200, stop.signal);
    const onAbort = (): void => stop.abort();
    o.signal?.addEventListener('abort', onAbort);
    if (o.signal?.aborted) stop.abort();
    const perEdgeRate = Math.max(1, Math.round(o.rate / sites.length));
    const byName = (): boolean => o.signal?.aborted === true;
    const reports: SimReport[] = await Promise.all(
      sites.map((s, i) =>
        runSimulation({
          city,
          compoundIds: s.compoundIds,
          brokerUrl: edges[i]!.brokerUrl,
          passwords: kits[i]!.passwords,
          seed: o.seed + i,
          ratePerSecond: perEdgeRate,
          signal: stop.signal,
          // N seconds of traffic, counted once the devices are in (connecting a city takes a
          // while on a busy machine: every device's password is checked with scrypt).
          ...(o.seconds !== undefined ? { durationMs: o.seconds * 1000 } : {}),
          // After Ctrl-C the devices wait briefly for their last PUBACKs; a timed run waits longer.
          drainTimeoutMs: o.seconds === undefined ? 1500 : 15_000,
          // Few connects at a time: every CONNECT costs the edge a password check (scrypt on the
          // thread pool this process shares); a burst only makes each one wait longer.
          connectConcurrency: 10,
          ...(i === 0 ? extras : {}),
          ...(ledger ? { onMessage: (m) => ledger.add(m) } : {}),
        }),
      ),
    );
    o.signal?.removeEventListener('abort', onAbort);

    if (byName()) return await stopBySignal(o, edges, hub);

    o.say('Stopping: draining the edges\' outboxes and the hub\'s queue…');
    const deadline = Date.now() + o.drainTimeoutMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    for (const e of edges) await e.drain(left()).catch((err: Error) => o.say(`${err.message}`));
    if (influx) await hub.drain(left()).catch((err: Error) => o.say(`${err.message}`));
    const hubStats = hub.stats();
    const deadLettered = edges.reduce((n, e) => n + e.stats().deadLettered, 0) + hubStats.deadLettered;
    const connectFailures = reports.reduce((n, r) => n + r.connectAttemptsFailed, 0);
    const neverConnected = reports.reduce((n, r) => n + r.neverConnected, 0);
    if (connectFailures > 0) {
      const codes = new Map<string, number>();
      for (const r of reports) for (const f of r.connectFailures) codes.set(`${f.code}: ${f.reason.slice(0, 60)}`, (codes.get(`${f.code}: ${f.reason.slice(0, 60)}`) ?? 0) + 1);
      o.say(`Device connects: ${connectFailures} attempts failed and were retried; ${neverConnected} devices never got in (${[...codes].slice(0, 3).map(([k, n]) => `${n}× ${k}`).join('; ')})`);
    }
    const base = { deadLettered, connectFailures, neverConnected, queued: hubStats.queued, compounds: city.compounds.length };
    if (!influx || !ledger) {
      const r = ledger?.reconcile([]);
      return {
        stoppedBy: 'seconds',
        summary: {
          published: r?.published ?? 0, acknowledged: r?.acknowledged ?? 0, stored: 0, storedUnacknowledged: 0,
          lost: 0, duplicated: 0, storedUnpublished: 0, ...base, reconciled: false,
        },
      };
    }
    const r = ledger.reconcile(await storedSince(influx, runStart));
    const { lostIds, duplicatedIds, undecodable, ...figures } = r;
    if (undecodable) o.say(`${undecodable} simulated messages did not decode (dead-lettered at the edge)`);
    return {
      stoppedBy: 'seconds',
      summary: { ...figures, ...base, reconciled: true, ...(lostIds.length ? { lostIds } : {}), ...(duplicatedIds.length ? { duplicatedIds } : {}) },
    };
  } finally {
    // After a Ctrl-C the stop is promised within seconds: what InfluxDB has not confirmed stays in
    // the hub's durable queue (re-sent on the next start), so the writer gets 1 s, not 5.
    const byCtrlC = o.signal?.aborted === true;
    for (const e of edges) await e.close().catch(() => {});
    await hub?.close(byCtrlC ? 1000 : 5000).catch(() => {});
    // Last: everything above may still be writing into it.
    await influx?.stop(byCtrlC ? 1500 : 2000);
  }
}

/**
 * Ctrl-C: drain for a short bound, then leave the rest where it is durable (the edges' outboxes,
 * the hub's queue, both on disk) and say so plainly; the next start says what it does with it.
 */
async function stopBySignal(o: DemoOptions, edges: Edge[], hub: Hub): Promise<DemoResult> {
  const bound = o.stopDrainMs ?? 1500;
  const deadline = Date.now() + bound;
  await Promise.all(edges.map((e) => e.drain(Math.max(0, deadline - Date.now())).catch(() => {})));
  await hub.drain(Math.max(0, deadline - Date.now())).catch(() => {});
  const queuedOnEdges = edges.reduce((n, e) => n + e.stats().outboxDepth, 0);
  const queuedAtHub = hub.stats().queued;
  if (queuedOnEdges + queuedAtHub > 0) {
    mkdirSync(o.dataDir, { recursive: true });
    writeFileSync(join(o.dataDir, STOP_FILE), `${JSON.stringify({ queuedOnEdges, queuedAtHub })}\n`);
  }
  return { stoppedBy: 'signal', queuedOnEdges, queuedAtHub, dataDir: o.dataDir };
}
