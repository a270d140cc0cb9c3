import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../common/ports.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The anchor flows committed next to this file. */
export type AnchorFlow = 'relay' | 'influx';

export interface NodeRed {
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The installed Node-RED (a devDependency): its red.js and version, or why it cannot run. */
export function nodeRedInstall(): { redJs: string; version: string } {
  const pkg = require.resolve('node-red/package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return { redJs: join(dirname(pkg), 'red.js'), version };
}

/** A flow file with its placeholders (`__NAME__`) filled in. */
export function renderFlow(flow: AnchorFlow, values: Record<string, string | number>): string {
  let text = readFileSync(join(HERE, `${flow}.flow.json`), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.split(`__${k}__`).join(String(v));
  const left = /__[A-Z_]+__/.exec(text);
  if (left) throw new Error(`SS_BENCH_NODE_RED: placeholder ${left[0]} of ${flow}.flow.json has no value`);
  return text;
}

/**
 * Node-RED in its own process with one anchor flow. Ready once the flows started and every MQTT
 * config node said "Connected to broker" (then a short pause for its SUBSCRIBE to be granted).
 * Nothing is installed at run time: node-red-contrib-influxdb is linked into the user dir from
 * the project's node_modules.
 */
export async function startNodeRed(flow: AnchorFlow, values: Record<string, string | number>): Promise<NodeRed> {
  const { redJs } = nodeRedInstall();
  const userDir = mkdtempSync(join(tmpdir(), 'safestar-bench-nodered-'));
  writeFileSync(join(userDir, 'flows.json'), renderFlow(flow, values));
  writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'safestar-bench-anchor', private: true }));
  mkdirSync(join(userDir, 'node_modules'));
  symlinkSync(dirname(require.resolve('node-red-contrib-influxdb/package.json')), join(userDir, 'node_modules', 'node-red-contrib-influxdb'), 'dir');
  const port = await freePort();
  const child = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', join(HERE, 'node-red-settings.cjs')], {
    env: { ...process.env, SS_NR_PORT: String(port), NODE_RED_ENABLE_PROJECTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`SS_BENCH_NODE_RED: not ready in 60 s; last lines:\n${log.slice(-10).join('\n')}`)), 60_000);
      let started = false;
      let connected = false;
      child.once('exit', (c) => {
        clearTimeout(t);
        reject(new Error(`SS_BENCH_NODE_RED: node-red exited (${c}); last lines:\n${log.slice(-10).join('\n')}`));
      });
      const onLine = (l: string): void => {
        log.push(l);
        if (log.length > 50) log.shift();
        if (process.env['SS_BENCH_NODE_RED_LOG'] || (/\[(error|warn)\]/.test(l) && !/Projects disabled|unencrypted credentials/.test(l))) process.stderr.write(`node-red: ${l}\n`);
        if (l.includes('Started flows')) started = true;
        if (l.includes('Connected to broker')) connected = true;
        if (started && connected) {
          clearTimeout(t);
          resolve();
        }
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
    });
    await new Promise((r) => setTimeout(r, 500));
  } catch (e) {
    await stop();
    throw e;
  }
  return { process: child, stop };
}
