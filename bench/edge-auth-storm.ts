/**
 * Wrong-password storm against a real edge (issue 12), by hand, not in CI:
 *   npx tsx bench/edge-auth-storm.ts [--devices 10] [--rate 30] [--parallel 200] [--seconds 10]
 * The real `safestar edge` runs in its own process. `devices` clients publish QoS 1 events
 * one after the other (each waits for its PUBACK) and we record each PUBACK's latency, in three
 * phases: quiet; `rate` wrong-password CONNECTs per second for one real device id; waves of
 * `parallel` simultaneous wrong-password CONNECTs for that id every 2 s. The attacker connects
 * from 127.0.0.9, the devices from 127.0.0.1. Prints p50 / p99 / max per phase and the edge's
 * refusal counters. The attacker runs in its own process, so its sockets don't delay the
 * measuring clients' event loop.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { hashPassword } from '../common/password.ts';
import { freePort } from '../common/ports.ts';
import type { SiteConfig } from '../protocol/site.ts';
import { spawnEdge } from './lib/edge-process.ts';
import { percentile } from './lib/stats.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DEVICES = arg('devices', 10);
const RATE = arg('rate', 30);
const PARALLEL = arg('parallel', 200);
const SECONDS = arg('seconds', 10);
const PASSWORD = 'bench-device-password';

const str = (v: string): Buffer => Buffer.concat([Buffer.from([v.length >> 8, v.length & 0xff]), Buffer.from(v)]);
function wrongConnect(i: number): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 30]), str('target'), str('target'), str(`wrong-${i}`)]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** One wrong-password CONNECT from 127.0.0.9; resolves when the edge answers or closes. */
function guess(port: number, i: number): Promise<void> {
  return new Promise((resolve) => {
    const s = tcpConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.9' }, () => s.write(wrongConnect(i)));
    const done = (): void => {
      s.destroy();
      resolve();
    };
    s.once('data', done);
    s.once('close', done);
    s.once('error', done);
    setTimeout(done, 10_000).unref();
  });
}

/** Child process: the attacker. Gets {port, mode, n} messages, answers 'done'. */
async function attacker(): Promise<void> {
  let k = 0;
  process.send?.({ ready: true });
  process.on('message', (m: { port: number; rate?: number; parallel?: number; seconds: number }) => {
    void (async () => {
      const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
      if (m.rate) {
        const t1 = Date.now();
        const inflight: Promise<void>[] = [];
        while (Date.now() - t1 < m.seconds * 1000) {
          inflight.push(guess(m.port, k++));
          await sleep(1000 / m.rate);
        }
        await Promise.all(inflight);
      } else if (m.parallel) {
        for (let w = 0; w < m.seconds / 2; w++) {
          const wave = Array.from({ length: m.parallel }, () => guess(m.port, k++));
          await Promise.race([Promise.all(wave), sleep(2000)]);
          await sleep(2000);
        }
      }
      process.send?.({ done: true, guesses: k });
    })();
  });
}

function runAttack(child: ReturnType<typeof fork>, msg: Record<string, number>): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { guesses: number }) => resolve(m.guesses));
    child.send(msg);
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-auth-storm-'));
  const hash = hashPassword(PASSWORD);
  const fence = (id: string): SiteConfig['devices'][number] => ({ id, compound: 'c1', kind: 'fence', profile: 'gbt7946-fence', username: id, passwordHash: hash, heartbeatSeconds: 300 });
  const config: SiteConfig = {
    v: 1,
    edge: { id: 'edge-storm', district: 'd1' },
    timezone: '+08:00',
    privacySecret: 'bench-storm-secret-0123456789',
    broker: { host: '127.0.0.1', port: 0, maxPayloadBytes: 65_536, maxMessagesPerDevicePerSecond: 1000, maxConnections: 1000 },
    // No hub: events stay in the outbox; what we measure is device → edge PUBACK latency.
    uplink: { url: `mqtt://127.0.0.1:${await freePort()}`, batchSize: 500, maxInflightBatches: 4 },
    outbox: { maxEvents: 1_000_000 },
    api: { host: '127.0.0.1', port: 0 },
    dataDir: join(dir, 'data'),
    compounds: [{ id: 'c1', name: 'Storm', district: 'd1', households: 100 }],
    devices: [fence('target'), ...Array.from({ length: DEVICES }, (_, i) => fence(`dev${i}`))],
  };
  const file = join(dir, 'site.json');
  writeFileSync(file, JSON.stringify(config));
  // The attacker process starts (and compiles) before anything is measured.
  const child = fork(new URL(import.meta.url).pathname, ['--attacker'], { execArgv: process.execArgv });
  await new Promise((r) => child.once('message', r));
  const edge = await spawnEdge(file);
  const port = Number(new URL(edge.brokerUrl).port);
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: DEVICES }, (_, i) => mqtt.connectAsync(edge.brokerUrl, { clientId: `dev${i}`, username: `dev${i}`, password: PASSWORD, reconnectPeriod: 0 })),
  );
  let phase = 'quiet';
  const lat = new Map<string, number[]>();
  let running = true;
  const publisher = async (c: MqttClient, i: number): Promise<void> => {
    const topic = `ss/v1/dev/c1/fence/dev${i}/events`;
    let n = 0;
    while (running) {
      const payload = JSON.stringify({ host: 'PF-01', zone: (n++ % 8) + 1, event: 'alarm', voltage_kv: 7.8, armed: true, time: new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ') });
      const t0 = performance.now();
      await c.publishAsync(topic, payload, { qos: 1 });
      const l = lat.get(phase) ?? [];
      l.push(performance.now() - t0);
      lat.set(phase, l);
      await new Promise((r) => setTimeout(r, 50)); // 20 msg/s per device
    }
  };
  const pubs = clients.map((c, i) => publisher(c, i));
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await sleep(SECONDS * 500);
  phase = `${RATE}/s wrong passwords`;
  await runAttack(child, { port, rate: RATE, seconds: SECONDS });
  phase = `${PARALLEL} in parallel every 2 s`;
  const k = await runAttack(child, { port, parallel: PARALLEL, seconds: SECONDS });
  child.kill();
  running = false;
  await Promise.all(pubs);
  const metrics = await (await fetch(`${edge.apiUrl}/metrics`)).text();
  for (const c of clients) await c.endAsync();
  await edge.stop();
  rmSync(dir, { recursive: true, force: true });
  const rows = [...lat].map(([p, l]) => {
    const s = [...l].sort((a, b) => a - b);
    return { phase: p, pubacks: s.length, p50Ms: +percentile(s, 50).toFixed(1), p99Ms: +percentile(s, 99).toFixed(1), maxMs: +(s[s.length - 1] ?? 0).toFixed(1) };
  });
  console.table(rows);
  console.log(metrics.split('\n').filter((l) => l.startsWith('safestar_edge_refused_total')).join('\n'));
  console.log(JSON.stringify({ guesses: k, rows }));
}

if (process.argv.includes('--attacker')) await attacker();
else await main();
