import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../hub/cli-process.ts';
import { device, siteConfig, startHubStandIn, tempDir, until } from './helpers.ts';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A port nothing listens on: node-opcua's client then warns about every failed connect. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('edge logs with an OPC UA connector', () => {
  it('are JSON on every line, node-opcua\u2019s own messages included', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const cfg = siteConfig(join(t.dir, 'edge'), hub.url, [device('fen-1')], {
      logLevel: 'debug',
      opcua: [{ url: `opc.tcp://127.0.0.1:${await closedPort()}/UA/nowhere`, samplingMs: 100, items: [{ nodeId: 'ns=1;s=fence.zone1.WireCut', device: 'fen-1', signal: 'wire-cut', zone: 1 }] }],
    });
    const file = join(t.dir, 'site.json');
    writeFileSync(file, JSON.stringify(cfg));
    const proc = spawn(process.execPath, [BIN, 'edge', '--config', file, '--no-scorer'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
    cleanups.push(() => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    });
    await until(() => out.includes('"ready":true'), 60_000, 'edge ready');
    // node-opcua retries the endpoint: give it time to say so.
    // node-opcua's warning about the refused connect, as a JSON line on stderr (not text on stdout).
    await until(() => err.includes('"source":"node-opcua"'), 45_000, "node-opcua's warning routed into the edge's log");
    await new Promise((r) => setTimeout(r, 2000));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await exited;
    const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');
    const notJson = (s: string) => lines(s).filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(lines(out)).toHaveLength(1);
    expect(notJson(out)).toEqual([]);
    expect(notJson(err)).toEqual([]);
    expect(lines(err).length).toBeGreaterThan(2);
  }, 120_000);
});
