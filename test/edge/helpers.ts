import { Aedes } from 'aedes';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../../common/ports.ts';
import type { SiteConfig, SiteDevice } from '../../protocol/site.ts';
import { hashPassword } from '../../common/password.ts';

/** Test kit for the edge: a stand-in hub broker, site configs, device clients. Real parts only. */

export interface HubStandIn {
  url: string;
  port: number;
  /** Every event received, in arrival order (duplicates kept, so tests can count them). */
  events: Record<string, unknown>[];
  batches: number;
  states: Record<string, unknown>[];
  ids(): string[];
  stop(): Promise<void>;
  /** Start again on the same port (after stop). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHubStandIn(port?: number): Promise<HubStandIn> {
  const p = port ?? (await freePort());
  let aedes: Aedes | undefined;
  let server: Server | undefined;
  const hub: HubStandIn = {
    url: `mqtt://127.0.0.1:${p}`,
    port: p,
    events: [],
    batches: 0,
    states: [],
    ids: () => hub.events.map((e) => e['id'] as string),
    async stop() {
      const a = aedes;
      const s = server;
      aedes = undefined;
      server = undefined;
      if (s) {
        const closed = new Promise<void>((r) => s.close(() => r()));
        if (a) await new Promise<void>((r) => a.close(() => r()));
        await closed;
      }
    },
    async restart() {
      const a = await Aedes.createBroker();
      a.on('publish', (packet) => {
        if (packet.topic.startsWith('ss/v1/edge/') && packet.topic.endsWith('/events')) {
          const b = JSON.parse(packet.payload.toString()) as { events: Record<string, unknown>[] };
          hub.batches++;
          for (const e of b.events) hub.events.push(e);
        } else if (packet.topic.startsWith('ss/v1/edge/') && packet.topic.endsWith('/state')) {
          hub.states.push(JSON.parse(packet.payload.toString()) as Record<string, unknown>);
        }
      });
      const s = createServer((sock) => a.handle(sock));
      await new Promise<void>((r, j) => {
        s.once('error', j);
        s.listen(p, '127.0.0.1', () => r());
      });
      aedes = a;
      server = s;
    },
    close: () => hub.stop(),
  };
  await hub.restart();
  return hub;
}

export const PASSWORD = 'device-secret-1';
const HASH = hashPassword(PASSWORD);
/** Bearer token of the edge API's protected endpoints (`/deadletters`) in test site configs. */
export const API_TOKEN = 'test-api-token-0123456789abcdef';
const API_TOKEN_HASH = hashPassword(API_TOKEN);

/** GET /deadletters with the test token. */
export async function deadLetters(apiUrl: string, query = ''): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${apiUrl}/deadletters${query}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  if (r.status !== 200) throw new Error(`/deadletters: HTTP ${r.status} ${await r.text()}`);
  return ((await r.json()) as { deadLetters: Record<string, unknown>[] }).deadLetters;
}

export function tempDir(prefix = 'safestar-edge-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function device(id: string, over: Partial<SiteDevice> = {}): SiteDevice {
  return { id, compound: 'c1', kind: 'fence', profile: 'gbt7946-fence', passwordHash: HASH, heartbeatSeconds: 30, ...over };
}

/**
 * `SS_TEST_EDGE_WORKERS=2 npx vitest run test/edge/…` runs the edge tests built on `siteConfig`
 * with that many ingest threads (pipeline.workers, issue 14): the same expectations must hold.
 */
const TEST_WORKERS = process.env['SS_TEST_EDGE_WORKERS'];

export function siteConfig(dataDir: string, hubUrl: string, devices: SiteDevice[], over: Partial<SiteConfig> = {}): SiteConfig {
  return {
    ...(TEST_WORKERS ? { pipeline: { workers: Number(TEST_WORKERS) } } : {}),
    v: 1,
    edge: { id: 'edge-t1', district: 'd1' },
    timezone: '+08:00',
    privacySecret: 'test-secret-0123456789',
    broker: { host: '127.0.0.1', port: 0, maxPayloadBytes: 16_384, maxMessagesPerDevicePerSecond: 10_000, maxConnections: 100 },
    uplink: { url: hubUrl, batchSize: 100, maxInflightBatches: 4 },
    outbox: { maxEvents: 100_000 },
    api: { host: '127.0.0.1', port: 0, tokenHash: API_TOKEN_HASH },
    dataDir,
    compounds: [{ id: 'c1', name: 'Compound 1', district: 'd1', households: 500 }],
    devices,
    ...over,
  };
}

export function topicOf(d: SiteDevice, channel: 'events' | 'heartbeat' | 'state' = 'events'): string {
  return `ss/v1/dev/${d.compound}/${d.kind}/${d.id}/${channel}`;
}

/** Connect a device client; resolves on CONNACK, rejects on refusal or close. */
export function connectDevice(url: string, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

export function publish(c: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
  return new Promise((resolve, reject) => c.publish(topic, payload, { qos }, (e) => (e ? reject(e) : resolve())));
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Message i of a stream: distinct bytes for every i (a byte-identical message at the same device
 * time is a resend of the same event, edge/pipeline/ids.ts); hosts PF-01, PF-02… of 80 zones each.
 */
export const fenceAlarm = (i: number): string =>
  JSON.stringify({ host: `PF-${String(Math.floor(i / 80) + 1).padStart(2, '0')}`, zone: (i % 80) + 1, event: 'alarm', voltage_kv: 7.8, armed: true, time: '2026-11-29 08:15:02' });
export const fenceCut = (): string =>
  JSON.stringify({ host: 'PF-01', zone: 3, event: 'open', voltage_kv: 0.1, armed: true, time: '2026-11-29 08:15:02' });

export function serverPort(s: Server): number {
  return (s.address() as AddressInfo).port;
}
