import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { hashPassword } from '../../common/password.ts';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import type { City } from '../../protocol/city.ts';
import type { Event } from '../../protocol/event.ts';
import { edgeTopic } from '../../protocol/topics.ts';

export const tempDir = (prefix = 'safestar-hub-'): string => mkdtempSync(join(tmpdir(), prefix));

/**
 * A throwaway influxd and an in-process hub writing to database `db`, with one edge credential
 * and one operator bearer token: the set-up the hub's API-level tests share.
 */
export async function startHubWithInflux(o: { city: City; db: string; edge: { id: string; secret: string; compounds: string[] }; operatorToken: string }): Promise<{ influxd: InfluxdHandle; hub: Hub }> {
  const influxd = await startInfluxd();
  const hub = await startHub({
    dataDir: tempDir(),
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    influx: { url: influxd.url, database: o.db },
    city: o.city,
    edges: [{ id: o.edge.id, compounds: o.edge.compounds, passwordHash: hashPassword(o.edge.secret) }],
    isOperator: (h) => h === `Bearer ${o.operatorToken}`,
    log: false,
  });
  return { influxd, hub };
}

export const BASE_T = Date.UTC(2026, 10, 29, 8, 0, 0);

export function makeEvent(i: number, over: Partial<Event> = {}): Event {
  return {
    v: 1,
    id: `edge-1:${BASE_T}:${String(i).padStart(6, '0')}`,
    deviceTime: BASE_T + i * 1000,
    receivedAt: BASE_T + i * 1000 + 5,
    district: 'd1',
    compound: 'c1',
    edge: 'edge-1',
    device: `dev-${i % 4}`,
    kind: 'access',
    type: 'granted',
    severity: 'info',
    attributes: { method: 'card', doorNo: 1 },
    ...over,
  };
}

export async function edgeClient(url: string, edge = 'edge-1', password?: string): Promise<MqttClient> {
  return connectAsync(url, { clientId: edge, username: edge, password, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
}

/** Publish one EventBatch with QoS 1; resolves on PUBACK. */
export async function publishBatch(client: MqttClient, edge: string, events: unknown[]): Promise<void> {
  await client.publishAsync(edgeTopic(edge, 'events'), JSON.stringify({ v: 1, edge, events }), { qos: 1 });
}

export async function influxQuery(url: string, db: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ns&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { results: Array<{ series?: Array<{ values: unknown[][] }>; error?: string }> };
  const r = body.results[0];
  if (r?.error) throw new Error(r.error);
  return r?.series?.[0]?.values ?? [];
}

export async function influxCount(url: string, db: string, measurement = 'events'): Promise<number> {
  const rows = await influxQuery(url, db, `SELECT count(id) FROM ${measurement}`);
  return Number(rows[0]?.[1] ?? 0);
}

/** Poll until `fn` is true (integration tests wait on real stores, not on sleeps). */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A TCP relay in front of a real influxd that can be switched off and on at the same address:
 * "InfluxDB is down" without killing the real server (which keeps its data).
 */
export class SwitchableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((s) => {
      const u = connect(this.target.port, this.target.host);
      this.sockets.add(s);
      this.sockets.add(u);
      const drop = (): void => {
        s.destroy();
        u.destroy();
        this.sockets.delete(s);
        this.sockets.delete(u);
      };
      s.on('error', drop).on('close', drop);
      u.on('error', drop).on('close', drop);
      s.pipe(u).pipe(s);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    const a = server.address();
    this.port = typeof a === 'object' && a ? a.port : this.port;
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
