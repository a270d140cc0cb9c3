import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/safestar.js', import.meta.url).pathname;

// Issue 2's "done when", as a user runs it: the real CLI in its own process.
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

  it('runs N seconds, drains, and prints a summary that reconciles with SELECT count(*) in InfluxDB', async () => {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'demo', '--seconds', '6', '--compounds', '4', '--rate', '150', '--data', join(dir, 'data')], {
      env: { ...process.env, SAFESTAR_INFLUX_URL: `${influxd.url}/demo_db` },
      timeout: 150_000,
    });
    expect(stderr).toMatch(/Hub: http:\/\/127\.0\.0\.1:\d+/);
    const lines = stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]!) as { sent: number; stored: number; deadLettered: number; queued: number; compounds: number };
    expect(summary.compounds).toBe(4);
    expect(summary.stored).toBeGreaterThan(0);
    expect(summary.queued).toBe(0);
    expect(summary.sent).toBe(summary.stored + summary.deadLettered);

    const influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'demo_db' });
    const rows = await influx.query<{ count_id: number }>('SELECT count(*) FROM "events"');
    expect(rows[0]?.count_id).toBe(summary.stored);
  });

  it('refuses a malformed SAFESTAR_INFLUX_URL with a coded error and a non-zero exit', async () => {
    await expect(
      run(process.execPath, [BIN, 'demo', '--seconds', '1', '--data', join(dir, 'bad')], { env: { ...process.env, SAFESTAR_INFLUX_URL: 'ftp://nowhere/x' } }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('SS_HUB_CONFIG') });
  });
});
