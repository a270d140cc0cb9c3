import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../common/ports.ts';
import { PASSWORD, device, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/**
 * No loss across kill -9: the edge runs as a child process (edge-child.ts → runEdge, what
 * `safestar edge --config` runs), is
 * SIGKILLed mid-stream and started again on the same ports. Every message a device got a PUBACK
 * for must reach the hub; the only duplicates allowed are messages the device resent because their
 * PUBACK was lost in the kill (MQTT QoS 1 is at-least-once), bounded by the in-flight window.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
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

describe('edge killed with SIGKILL mid-stream', () => {
  it('loses no acknowledged event and duplicates at most the in-flight window', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const d = device('f1');
    const port = await freePort();
    const cfg = siteConfig(join(t.dir, 'data'), hub.url, [d], {
      broker: { host: '127.0.0.1', port, maxPayloadBytes: 16_384, maxMessagesPerDevicePerSecond: 100_000, maxConnections: 10 },
    });
    const file = join(t.dir, 'site.json');
    writeFileSync(file, JSON.stringify(cfg));
    const first = await spawnEdge(file);

    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'f1', username: 'f1', password: PASSWORD, reconnectPeriod: 100, clean: false });
    cleanups.push(() => void c.end(true));
    const N = 800;
    const WINDOW = 50;
    const acked = new Set<number>();
    let next = 0;
    let killed = false;
    const sendMore = (): void => {
      while (next < N && next - acked.size < WINDOW) {
        const i = next++;
        const payload = JSON.stringify({ host: `H-${i}`, zone: 1, event: 'alarm', voltage_kv: 7.8, armed: true, time: '2026-11-29 08:15:02' });
        c.publish(topicOf(d), payload, { qos: 1 }, (err) => {
          if (!err) acked.add(i);
          if (!killed && acked.size >= 300) {
            killed = true;
            first.kill('SIGKILL');
          }
          sendMore();
        });
      }
    };
    await new Promise<void>((r) => c.once('connect', () => r()));
    sendMore();
    await until(() => killed, 30_000, 'kill point');
    await new Promise<void>((r) => (first.exitCode !== null ? r() : first.once('exit', () => r())));
    const ackedAtKill = acked.size;
    await spawnEdge(file);
    await until(() => acked.size === N, 60_000, 'all PUBACKs after restart');
    expect(ackedAtKill).toBeLessThan(N);
    await until(() => new Set(hub.events.map((e) => (e['attributes'] as { host: string }).host)).size >= N, 30_000, 'hub has every message');

    const byHost = new Map<string, Set<string>>();
    for (const e of hub.events) {
      const host = (e['attributes'] as { host: string }).host;
      byHost.set(host, (byHost.get(host) ?? new Set()).add(e['id'] as string));
    }
    for (let i = 0; i < N; i++) expect(byHost.has(`H-${i}`), `H-${i}`).toBe(true);
    const resent = [...byHost.values()].filter((ids) => ids.size > 1).length;
    expect(resent).toBeLessThanOrEqual(WINDOW);
    // The same id always carries the same message (a replay, never a reused id).
    const hostOfId = new Map<string, string>();
    for (const e of hub.events) {
      const host = (e['attributes'] as { host: string }).host;
      const id = e['id'] as string;
      expect(hostOfId.get(id) ?? host).toBe(host);
      hostOfId.set(id, host);
    }
  });
});
