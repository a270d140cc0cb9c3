import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxdAvailable, startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/safestar.js', import.meta.url).pathname;

interface Summary {
  published: number; acknowledged: number; stored: number; storedUnacknowledged: number; deadLettered: number;
  lost: number; duplicated: number; storedUnpublished: number; connectFailures: number; neverConnected: number;
  queued: number; compounds: number; reconciled: boolean;
}

/** influxd processes whose command line names `dir` (the demo's private one lives under it). */
function influxdsUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes('influxd') && cmd.includes(dir)) pids.push(Number(p));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** The demo CLI in its own process group, as a terminal runs it; resolves once `line` shows on stderr. */
function startDemo(args: string[], env: NodeJS.ProcessEnv, line: RegExp): Promise<{ pid: number; stderr: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'demo', ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (line.test(err)) resolve({ pid: child.pid!, stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`demo exited (${code}) before ${line}: ${err}`)));
  });
}

// Issue 2's and issue 10's "done when", as a user runs it: the real CLI in its own process.
describe('safestar demo (the CLI)', () => {
  let influxd: InfluxdHandle;
  let dir: string;

  beforeAll(async () => {
    influxd = await startInfluxd();
    dir = mkdtempSync(join(tmpdir(), 'safestar-demo-'));
  });
  afterAll(async () => {
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs N seconds, drains, and reconciles every event by id with InfluxDB: acknowledged ⊆ stored ⊆ published, none twice', async () => {
    // Data of an earlier run: without --keep-data the demo says it wipes it.
    mkdirSync(join(dir, 'data', 'hub'), { recursive: true });
    writeFileSync(join(dir, 'data', 'hub', 'old.txt'), 'earlier run');
    const { stdout, stderr } = await run(process.execPath, [BIN, 'demo', '--seconds', '6', '--compounds', '4', '--rate', '150', '--data', join(dir, 'data')], {
      env: { ...process.env, SAFESTAR_INFLUX_URL: `${influxd.url}/demo_db` },
      timeout: 220_000,
    });
    expect(stderr).toMatch(/Hub: http:\/\/127\.0\.0\.1:\d+/);
    expect(stderr).toMatch(/Wiping .*data from the last run \(pass --keep-data to keep it\)/);
    expect(existsSync(join(dir, 'data', 'hub', 'old.txt'))).toBe(false);
    const lines = stdout.trim().split('\n');
    const s = JSON.parse(lines[lines.length - 1]!) as Summary;
    expect(s.compounds).toBe(4);
    expect(s.reconciled).toBe(true);
    expect(s.acknowledged).toBeGreaterThan(100);
    expect(s.lost).toBe(0);
    expect(s.duplicated).toBe(0);
    expect(s.storedUnpublished).toBe(0);
    expect(s.acknowledged).toBeLessThanOrEqual(s.stored);
    expect(s.stored).toBeLessThanOrEqual(s.published);
    expect(s.stored - s.storedUnacknowledged).toBe(s.acknowledged);
    expect(s.queued).toBe(0);
    expect(s.neverConnected).toBe(0);

    // Issue 16: the demo shows everything. The console and how to log in are printed…
    const operator = /Operator console: (http:\/\/127\.0\.0\.1:\d+)\/\s+log in with the operator token (\w+)/.exec(stderr);
    expect(operator, stderr).not.toBeNull();
    expect(stderr).toMatch(/Anomaly scorer: on at 4 of 4 edges/);
    // …one device's bad traffic is dead-lettered with reasons…
    expect(s.deadLettered).toBeGreaterThanOrEqual(2);
    // …the burglary's device alarms wait for an operator (the hub's state, read after the run)…
    const db = new Database(join(dir, 'data', 'hub', 'state.db'), { readonly: true });
    const pending = db.prepare("SELECT count(*) AS n FROM index_alarms WHERE status = 'pending'").get() as { n: number };
    db.close();
    expect(pending.n).toBeGreaterThanOrEqual(1);
    // …and Grafana provisioning sits where an admin can mount it, pointing at this run's InfluxDB.
    const ds = readFileSync(join(dir, 'data', 'grafana', 'provisioning', 'datasources', 'safestar.yaml'), 'utf8');
    expect(ds).toContain(`url: ${influxd.url}`);
    expect(ds).toContain('dbName: demo_db');
    expect(existsSync(join(dir, 'data', 'grafana', 'provisioning', 'dashboards', 'safestar.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'data', 'grafana', 'dashboards', 'safestar-city.json'))).toBe(true);

    // The same figures straight from InfluxDB: one point per stored event, every id once.
    const influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'demo_db' });
    const rows = await influx.query<{ id: string }>('SELECT "id" FROM "events"');
    expect(rows).toHaveLength(s.stored);
    expect(new Set(rows.map((r) => r.id)).size).toBe(s.stored);
  }, 240_000); // the whole city in a child process: connecting its devices is slow on a busy machine

  it('refuses a malformed SAFESTAR_INFLUX_URL with a coded error and a non-zero exit', async () => {
    await expect(
      run(process.execPath, [BIN, 'demo', '--seconds', '1', '--data', join(dir, 'bad')], { env: { ...process.env, SAFESTAR_INFLUX_URL: 'ftp://nowhere/x' } }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('SS_HUB_CONFIG') });
  });

  // Issue 16's "done when", in the running demo: log in to the console with the printed token and confirm an alarm.
  it('serves the console while it runs: log in with the printed token, find the burglary\'s alarm, confirm it', async () => {
    const demo = await startDemo(['--compounds', '3', '--rate', '60', '--data', join(dir, 'console')], { ...process.env, SAFESTAR_INFLUX_URL: `${influxd.url}/demo_console` }, /Devices: \d+/);
    try {
      const m = /Operator console: (http:\/\/127\.0\.0\.1:\d+)\/\s+log in with the operator token (\w+)/.exec(demo.stderr())!;
      expect(m).not.toBeNull();
      const [, url, token] = m;
      const login = await fetch(`${url}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const { csrf } = (await login.json()) as { csrf: string };
      type Alarm = { id: string; type: string; status: string };
      let pending: Alarm[] = [];
      for (let i = 0; i < 120 && pending.length === 0; i++) {
        pending = (await (await fetch(`${url}/api/console/alarms`, { headers: { cookie } })).json()) as Alarm[];
        if (!pending.length) await new Promise((r) => setTimeout(r, 500));
      }
      expect(pending.length).toBeGreaterThanOrEqual(1);
      const ok = await fetch(`${url}/api/alarms/${encodeURIComponent(pending[0]!.id)}/confirm`, { method: 'POST', headers: { cookie, 'x-safestar-csrf': csrf } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { alarm: Alarm }).alarm.status).toBe('confirmed');
      const page = await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' });
      expect(page.status).toBe(200);
    } finally {
      process.kill(-demo.pid, 'SIGINT');
      await demo.exited;
    }
  }, 180_000);

  it.runIf(influxdAvailable())('stops within 5 s of a Ctrl-C to its process group, stops its private influxd last, and the next start says what it does with the data', async () => {
    const data = join(dir, 'ctrl-c');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.SAFESTAR_INFLUX_URL; // its own influxd, under the data folder
    const demo = await startDemo(['--compounds', '2', '--rate', '100', '--data', data], env, /Devices: \d+/);
    expect(influxdsUsing(data)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500)); // traffic flowing
    const t0 = Date.now();
    process.kill(-demo.pid, 'SIGINT'); // what a terminal's Ctrl-C does: the whole foreground group
    const code = await demo.exited;
    const took = Date.now() - t0;
    expect(took).toBeLessThan(5000);
    expect(code).toBe(0);
    expect(demo.stderr()).toMatch(/Stopped\. (Nothing was left queued|\d+ events stay queued in the edges' outboxes and \d+ in the hub's queue, on disk under )/);
    expect(demo.stderr()).not.toMatch(/\/health/);
    expect(influxdsUsing(data)).toEqual([]);

    // The next start says whether it keeps the data (here it does: --keep-data) …
    const again = await startDemo(['--compounds', '2', '--rate', '100', '--data', data, '--keep-data'], env, /InfluxDB: /);
    expect(again.stderr()).toMatch(new RegExp(`Keeping ${data.replace(/[/.]/g, '\\$&')} \\(--keep-data\\)`));
    process.kill(-again.pid, 'SIGINT');
    expect(await again.exited).toBe(0);
    // (… or wipes it: the first test.)
    expect(influxdsUsing(data)).toEqual([]);
  }, 180_000);
});
