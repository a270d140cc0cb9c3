import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const WORKER_MAIN = join(ROOT, 'hub', 'cluster', 'worker-main.ts');
export const INGRESS_MAIN = join(ROOT, 'hub', 'cluster', 'ingress-main.ts');

/** A child process that prints JSON lines on stdout; `ready` is its first line with "ready":true. */
export interface Proc {
  name: string;
  child: ChildProcess;
  ready: Record<string, unknown>;
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
}

export const SAFESTAR_BIN = join(ROOT, 'bin', 'safestar.js');

export function spawnProc(name: string, script: string, arg: object, env: NodeJS.ProcessEnv = {}, readyMs = 60_000): Promise<Proc> {
  return spawnArgs(name, ['--import', 'tsx', script, JSON.stringify(arg)], env, readyMs);
}

/** `node <args…>`: e.g. [SAFESTAR_BIN, 'hub', 'worker', …] for the CLI itself. */
export async function spawnArgs(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, readyMs = 60_000): Promise<Proc> {
  const child = spawn(process.execPath, [...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-8000)));
  const lines: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${name} not ready in ${readyMs} ms: ${err}`)), readyMs);
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const j = JSON.parse(line) as Record<string, unknown>;
          lines.push(j);
          if (j['ready'] === true) {
            clearTimeout(t);
            resolve(j);
          }
        } catch {
          /* not a JSON line */
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`${name} exited with ${code} before ready: ${err}`));
    });
  });
  return { name, child, ready, lines, stderr: () => err, exited };
}

export async function sigkill(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await p.exited;
}
