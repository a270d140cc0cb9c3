import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../common/ports.ts';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { connectDevice, PASSWORD, device, publish, siteConfig, tempDir, topicOf, until } from './helpers.ts';

/**
 * No loss and no duplicate across kill -9: the edge runs as a child process (edge-child.ts →
 * runEdge, what `safestar edge --config` runs), is SIGKILLed and started again on the same ports,
 * in front of a real hub and a real InfluxDB. MQTT QoS 1 is at-least-once: a message the edge
 * committed (and even forwarded) but could not PUBACK before the kill is resent by the device.
 * The event id comes from the message itself (edge/pipeline/ids.ts), so the resend is the same
 * event and the hub drops it: every acknowledged message is stored exactly once.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

let influxd: InfluxdHandle;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

const childScript = join(import.meta.dirname, 'edge-child.ts');

function spawnEdge(configPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  cleanups.push(() => void (child.exitCode === null && child.kill('SIGKILL')));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.includes('"ready":true')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`edge exited ${code}: ${stderr}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  return new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

async function rows(database: string): Promise<{ id: string; host: string }[]> {
  const q = encodeURIComponent('SELECT "id", "host" FROM "events"');
  const res = await fetch(`${influxd.url}/query?db=${database}&q=${q}`);
  const body = (await res.json()) as { results: { series?: { values: [string, string, string][] }[] }[] };
  return (body.results[0]?.series?.[0]?.values ?? []).map(([, id, host]) => ({ id, host }));
}

/** A real hub (dedupe by id, durable queue, InfluxDB writer) and a site config for one fence. */
async function setup(database: string): Promise<{ hub: Hub; file: string; port: number; d: ReturnType<typeof device> }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const hub = await startHub({
    dataDir: join(t.dir, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 },
    influx: { url: influxd.url, database }, log: false,
  });
  cleanups.push(() => hub.close());
  const d = device('f1');
  const port = await freePort();
  const cfg = siteConfig(join(t.dir, 'edge'), hub.mqttUrl, [d], {
    broker: { host: '127.0.0.1', port, maxPayloadBytes: 16_384, maxMessagesPerDevicePerSecond: 100_000, maxConnections: 10 },
  });
  const file = join(t.dir, 'site.json');
  writeFileSync(file, JSON.stringify(cfg));
  return { hub, file, port, d };
}

describe('edge killed with SIGKILL', () => {
  it('stores every acknowledged message exactly once although the device resends what was in flight', async () => {
    const db = `kill_stream_${process.pid}`;
    const { hub, file, port, d } = await setup(db);
    const first = await spawnEdge(file);

    // clean: false: the device keeps its unacknowledged publishes and resends them on reconnect.
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'f1', username: 'f1', password: PASSWORD, reconnectPeriod: 100, clean: false });
    cleanups.push(() => void c.end(true));
    const N = 800;
    const WINDOW = 50;
    const acked = new Set<number>();
    let next = 0;
    let killed = false;
    let inFlightAtKill = 0;
    const sendMore = (): void => {
      while (next < N && next - acked.size < WINDOW) {
        const i = next++;
        const payload = JSON.stringify({ host: `H-${i}`, zone: 1, event: 'alarm', voltage_kv: 7.8, armed: true, time: '2026-11-29 08:15:02' });
        c.publish(topicOf(d), payload, { qos: 1 }, (err) => {
          if (!err) acked.add(i);
          if (!killed && acked.size >= 300) {
            killed = true;
            inFlightAtKill = next - acked.size;
            first.kill('SIGKILL');
          }
          sendMore();
        });
      }
    };
    await new Promise<void>((r) => c.once('connect', () => r()));
    sendMore();
    await until(() => killed, 30_000, 'kill point');
    await kill(first);
    await spawnEdge(file);
    await until(() => acked.size === N, 60_000, 'all PUBACKs after restart');
    await until(async () => (await rows(db)).length >= N, 30_000, 'every message in InfluxDB');
    await hub.drain(10_000);

    const stored = await rows(db);
    const idsByHost = new Map<string, Set<string>>();
    for (const r of stored) idsByHost.set(r.host, (idsByHost.get(r.host) ?? new Set()).add(r.id));
    for (let i = 0; i < N; i++) expect(idsByHost.get(`H-${i}`)?.size, `H-${i} stored once`).toBe(1);
    // No id twice, no point twice: exactly one point per message.
    expect(new Set(stored.map((r) => r.id)).size).toBe(N);
    expect(stored.length).toBe(N);
    expect(inFlightAtKill).toBeGreaterThan(0);
    // What the hub dropped are resends across the kill: the device's (at most WINDOW unacknowledged
    // publishes) and the edge uplink's (batches the hub stored whose PUBACK the killed edge never
    // saw: at most maxInflightBatches × batchSize = 4 × 100 in the test site config).
    expect(hub.stats().duplicates).toBeLessThanOrEqual(WINDOW + 4 * 100);
  }, 180_000); // real processes: on a loaded machine three starts take a while

  it('drops a message the device publishes again after an edge restart (a lost PUBACK) by its id', async () => {
    const db = `kill_resend_${process.pid}`;
    const { hub, file, port, d } = await setup(db);
    const first = await spawnEdge(file);
    // A fence message: no vendor serial, so its id is the digest of device, time, type and bytes.
    const fence = JSON.stringify({ host: 'PF-R', zone: 2, event: 'open', voltage_kv: 0.2, armed: true, time: '2026-11-29 08:15:02' });
    const c1 = await connectDevice(`mqtt://127.0.0.1:${port}`, { clientId: 'f1', username: 'f1', password: PASSWORD });
    await publish(c1, topicOf(d), fence);
    await until(async () => (await rows(db)).length === 1, 15_000, 'first copy stored');
    c1.end(true);
    await kill(first);

    await spawnEdge(file);
    const c2 = await connectDevice(`mqtt://127.0.0.1:${port}`, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void c2.end(true));
    await publish(c2, topicOf(d), fence); // the resend, to a new edge process
    await until(() => hub.stats().duplicates === 1, 15_000, 'the hub to see the resend as a duplicate');
    await hub.drain(10_000);
    const stored = await rows(db);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.host).toBe('PF-R');
    expect(hub.stats().received).toBe(2);
  }, 180_000);
});
