import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { edgeClient, influxCount, makeEvent, publishBatch, tempDir, until } from './helpers.ts';

/**
 * A TCP proxy to influxd that can stall: while stalled it reads what the hub sends and forwards
 * none of it, so a write in flight gets no answer (InfluxDB wedged, or a network that drops
 * packets). Not a down server: the hub's request stays open until its 15-s timeout.
 */
class StallingProxy {
  stalled = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: number) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async up(): Promise<void> {
    this.server = createServer((s) => {
      const u = connect(this.target, '127.0.0.1');
      for (const x of [s, u]) {
        this.sockets.add(x);
        x.on('error', () => x.destroy()).on('close', () => this.sockets.delete(x));
      }
      s.on('data', (chunk) => {
        if (!this.stalled) u.write(chunk);
      });
      u.pipe(s);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

let influxd: InfluxdHandle;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

describe('hub.close(writerGraceMs)', () => {
  it('stops within its grace while a write hangs, and the next start writes what was cut short, once', async () => {
    const proxy = new StallingProxy(Number(new URL(influxd.url).port));
    await proxy.up();
    const dataDir = tempDir();
    const database = `close_${process.pid}`;
    const opts = { dataDir, mqtt: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 }, log: false as const };
    let hub: Hub | undefined = await startHub({ ...opts, influx: { url: proxy.url, database } });
    try {
      const edge = await edgeClient(hub.mqttUrl);
      await publishBatch(edge, 'edge-1', Array.from({ length: 100 }, (_, i) => makeEvent(i)));
      await hub.drain(20_000);
      expect(await influxCount(influxd.url, database)).toBe(100);

      proxy.stalled = true;
      // Acknowledged = durable in the hub's queue, whatever InfluxDB does.
      await publishBatch(edge, 'edge-1', Array.from({ length: 200 }, (_, i) => makeEvent(100 + i)));
      await edge.endAsync();
      const h = hub;
      await until(() => h.stats().queued === 200, 10_000, 'the batch queued');
      await new Promise((r) => setTimeout(r, 300)); // the writer has taken it and waits for an answer
      const t0 = Date.now();
      await hub.close(300);
      hub = undefined;
      // Far below the request's own 15-s timeout: the grace bounds the wait, not the timeout.
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(await influxCount(influxd.url, database)).toBe(100);

      proxy.stalled = false;
      hub = await startHub({ ...opts, influx: { url: influxd.url, database } });
      await hub.drain(20_000);
      expect(await influxCount(influxd.url, database)).toBe(300);
      expect(hub.stats()).toMatchObject({ queued: 0 });
    } finally {
      await hub?.close();
      await proxy.down();
    }
  }, 60_000);
});
