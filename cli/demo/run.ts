import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { generateCity } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';
import { hashPassword } from '../../common/password.ts';
import { runSimulation } from '../../simulators/run.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { startEdge, type Edge } from '../../edge/edge.ts';
import type { City } from '../../protocol/city.ts';
import { resolveInflux, type InfluxTarget } from './influx-target.ts';
import { productHub } from '../../hub/product.ts';
import { randomBytes } from 'node:crypto';

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
  say: (line: string) => void;
  signal?: AbortSignal;
}

export interface DemoSummary {
  sent: number;
  stored: number;
  deadLettered: number;
  queued: number;
  compounds: number;
}

/** One edge per district (a police station's node serves the compounds of its district). */
function edgesFor(city: City): { edgeId: string; compoundIds: string[] }[] {
  return city.districts
    .map((d) => ({ edgeId: `edge-${d.id}`, compoundIds: city.compounds.filter((c) => c.district === d.id).map((c) => c.id) }))
    .filter((e) => e.compoundIds.length > 0);
}

async function countEvents(target: InfluxTarget): Promise<number> {
  const u = new URL(target.url);
  const influx = new InfluxDB({ host: u.hostname, port: Number(u.port), protocol: u.protocol === 'https:' ? 'https' : 'http', database: target.database });
  // count(id): every event point carries the id field, so this counts points.
  const rows = await influx.query<{ count: number }>('SELECT count("id") AS count FROM "events"');
  return rows[0]?.count ?? 0;
}

/**
 * The whole city on one machine: simulators → edges → hub → InfluxDB. Counts in the summary come
 * from the stores (InfluxDB, the edges' and hub's dead-letter tables, the hub's queue), `sent` from
 * the simulators' acknowledged messages.
 */
export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  if (!o.keepData) rmSync(o.dataDir, { recursive: true, force: true });
  const city = generateCity({ compounds: o.compounds, seed: o.seed });
  const influx = await resolveInflux(o.dataDir);
  if (influx) o.say(`InfluxDB: ${influx.url}/${influx.database} (${influx.source === 'env' ? 'SAFESTAR_INFLUX_URL' : 'private influxd under ' + join(o.dataDir, 'influxd')})`);
  else o.say('InfluxDB: none (SAFESTAR_INFLUX_URL unset and no influxd on PATH): events will wait in the hub\'s durable queue.');
  const before = influx ? await countEvents(influx).catch(() => 0) : 0;

  // Demo tokens, new every run, printed so a user can post a case or confirm an alarm right away.
  const tokens = { police: randomBytes(12).toString('hex'), operator: randomBytes(12).toString('hex') };
  let hub: Hub | undefined;
  const edges: Edge[] = [];
  // Edge credentials, new every run: each edge authenticates and may publish only for its compounds.
  const sites = edgesFor(city);
  const secrets = sites.map(() => randomBytes(24).toString('base64url'));
  try {
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
    o.say(`Hub: ${hub.apiUrl}  (try ${hub.apiUrl}/api/compounds)`);
    o.say(`City map (一图): ${hub.apiUrl}/map   Compound page (一码): ${hub.apiUrl}/c/${city.compounds[0]!.id}`);
    o.say(`Post a case as the police: curl -H 'Authorization: Bearer ${tokens.police}' -H 'Content-Type: application/json' -d '{"id":"demo-1","department":"police","category":"burglary","compound":"${city.compounds[0]!.id}","occurredAt":"${new Date().toISOString()}","registeredAt":"${new Date().toISOString()}","status":"registered"}' ${hub.apiUrl}/api/cases`);
    o.say(`Operator token (confirm device alarms: POST /api/alarms/:id/confirm): ${tokens.operator}`);
    const kits = sites.map((s, i) =>
      siteConfigForCity(city, { edgeId: s.edgeId, compoundIds: s.compoundIds, hubUrl: hub!.mqttUrl, dataDir: join(o.dataDir, s.edgeId), uplinkPassword: secrets[i]! }),
    );
    for (const kit of kits) edges.push(await startEdge(kit.config, { log: false }));
    o.say(`Edges: ${edges.map((e, i) => `${sites[i]!.edgeId} ${e.apiUrl}`).join(', ')}`);
    o.say(`Devices: ${city.compounds.reduce((n, c) => n + c.devices.length, 0)} in ${city.compounds.length} compounds, ~${o.rate} events/s`);

    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    o.signal?.addEventListener('abort', onAbort);
    const timer = o.seconds === undefined ? undefined : setTimeout(() => stop.abort(), o.seconds * 1000);
    const perEdgeRate = Math.max(1, Math.round(o.rate / sites.length));
    const reports = await Promise.all(
      sites.map((s, i) =>
        runSimulation({
          city,
          compoundIds: s.compoundIds,
          brokerUrl: edges[i]!.brokerUrl,
          passwords: kits[i]!.passwords,
          seed: o.seed + i,
          ratePerSecond: perEdgeRate,
          signal: stop.signal,
        }),
      ),
    );
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);

    o.say('Stopping: draining the edges\' outboxes and the hub\'s queue…');
    for (const e of edges) await e.drain(o.drainTimeoutMs);
    if (influx) await hub.drain(o.drainTimeoutMs);
    const stored = influx ? (await countEvents(influx)) - before : 0;
    const hubStats = hub.stats();
    const deadLettered = edges.reduce((n, e) => n + e.stats().deadLettered, 0) + hubStats.deadLettered;
    return {
      sent: reports.reduce((n, r) => n + r.expectedEvents, 0),
      stored,
      deadLettered,
      queued: hubStats.queued,
      compounds: city.compounds.length,
    };
  } finally {
    for (const e of edges) await e.close().catch(() => {});
    await hub?.close().catch(() => {});
    await influx?.stop();
  }
}
