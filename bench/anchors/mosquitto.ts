import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../common/ports.ts';

export const MOSQUITTO_BIN = process.env['SS_BENCH_MOSQUITTO'] ?? '/usr/sbin/mosquitto';

export interface Mosquitto {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function mosquittoAvailable(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

/**
 * The broker config of the Node-RED anchor, tuned in the anchor's favour: no persistence (Safestar's
 * edge fsyncs before every PUBACK; this broker never touches the disk), a deep queue and a wide
 * in-flight window for the one subscriber (Node-RED), so the anchor is not capped by defaults
 * (20 in flight, 1,000 queued, after which mosquitto drops QoS 1 messages).
 */
export function mosquittoConfig(port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'max_inflight_messages 1000',
    'max_queued_messages 1000000',
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** A private Mosquitto on a free loopback port with its own config file (never 1883). */
export async function startMosquitto(): Promise<Mosquitto> {
  if (!mosquittoAvailable()) throw new Error(`SS_BENCH_MOSQUITTO: ${MOSQUITTO_BIN} not found; install mosquitto or set SS_BENCH_MOSQUITTO`);
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, mosquittoConfig(port));
  const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`SS_BENCH_MOSQUITTO: mosquitto exited (${child.exitCode})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('SS_BENCH_MOSQUITTO: mosquitto did not listen within 10 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
