import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort } from './ports.ts';

export interface InfluxdHandle {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5000). */
  stop(graceMs?: number): Promise<void>;
}

export interface InfluxdOptions {
  dir?: string;
  keep?: boolean;
  /**
   * Run influxd in its own process group. A terminal's Ctrl-C signals the whole foreground group:
   * without this the database dies first, while the demo still drains into it. The owner must
   * then stop it itself (and `pidFile` lets the next run stop one a crash left behind).
   */
  detached?: boolean;
  /** Write influxd's pid here (removed on stop). */
  pidFile?: string;
}

export function influxdAvailable(): boolean {
  try {
    execFileSync('influxd', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Start a private influxd (1.x) with its own folders and ports. Both the HTTP port and the
 * top-level backup RPC `bind-address` (default 127.0.0.1:8088) must be free ports, or a second
 * instance collides with the first.
 */
export async function startInfluxd(opts: InfluxdOptions = {}): Promise<InfluxdHandle> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'safestar-influxd-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const rpcPort = await freePort();
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    [
      `reporting-disabled = true`,
      `bind-address = "127.0.0.1:${rpcPort}"`,
      `[meta]`, `  dir = "${join(dir, 'meta')}"`,
      `[data]`, `  dir = "${join(dir, 'data')}"`, `  wal-dir = "${join(dir, 'wal')}"`,
      `  query-log-enabled = false`, `  trace-logging-enabled = false`,
      `[http]`, `  bind-address = "127.0.0.1:${port}"`, `  log-enabled = false`,
      `  max-body-size = 0`,
      `[monitor]`, `  store-enabled = false`,
      `[continuous_queries]`, `  enabled = false`,
      `[logging]`, `  level = "warn"`,
    ].join('\n'),
  );
  const child = spawn('influxd', ['run', '-config', conf], { stdio: ['ignore', 'ignore', 'pipe'], detached: opts.detached === true });
  if (opts.pidFile && child.pid !== undefined) writeFileSync(opts.pidFile, `${child.pid}\n`);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`SS_INFLUXD_EXIT: influxd exited with ${child.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`${url}/ping`);
      if (r.status === 204) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      if (opts.pidFile) rmSync(opts.pidFile, { force: true });
      throw new Error(`SS_INFLUXD_TIMEOUT: influxd did not answer /ping in 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    dir,
    process: child,
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      if (opts.pidFile) rmSync(opts.pidFile, { force: true });
      if (!opts.keep && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Stop an influxd that an earlier run left behind (its owner was killed before it could stop
 * it): the pid in `pidFile`, only if that process is still an influxd using `dir`. Returns
 * whether one was stopped.
 */
export async function stopLeftoverInfluxd(pidFile: string, dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* gone already, or not Linux */
  }
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !cmdline.includes('influxd') || !cmdline.includes(dir)) return false;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
  }
  process.kill(pid, 'SIGKILL');
  return true;
}
