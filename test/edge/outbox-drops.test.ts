import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge } from '../../edge/edge.ts';
import { edgeStatus } from '../../edge/health/status.ts';
import { Outbox, type NewRow } from '../../edge/outbox/outbox.ts';
import { PASSWORD, connectDevice, device, fenceAlarm, publish, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/** Issue 12: the drop counter counts what was really lost, and /health shows drops and device outages. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const rows = (from: number, n: number): NewRow[] => Array.from({ length: n }, (_, i) => ({ life: false, at: from + i, body: `{"i":${from + i}}` }));

describe('outbox drops', () => {
  it('drops only rows never handed to the uplink, so every counted drop is a real loss', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const o = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 100 });
    cleanups.push(() => o.close());
    o.write(rows(1, 100), []);
    await o.sync();
    const inflight = o.next(0, 0, 10, o.durableSeq()); // sent, not yet acknowledged by the hub
    expect(inflight.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(o.write(rows(101, 20), [])).toBe(20);
    await o.sync();
    // The 10 in flight are still there (the hub may have them); 11..30 were dropped instead.
    const left = o.next(0, 0, 1000, o.durableSeq()).map((r) => r.seq);
    expect(left.slice(0, 11)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 31]);
    expect(left).toHaveLength(100);
    expect(o.depth()).toBe(100);
  });
});

describe('/health', () => {
  it('is degraded, with reasons, when a quarter of the devices are offline, and shows drops', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const devs = ['f1', 'f2', 'f3', 'f4', 'f5'].map((id) => device(id, { heartbeatSeconds: 1 }));
    const edge = await startEdge(siteConfig(t.dir, hub.url, devs), { missedHeartbeats: 1, healthSweepMs: 100 });
    cleanups.push(() => edge.close());
    type H = { status: string; reasons: string[]; devices: { offline: number; total: number }; outbox: { dropped: number } };
    const get = async (): Promise<H> => (await (await fetch(`${edge.apiUrl}/health`)).json()) as H;
    await until(async () => (await get()).devices.offline === 5, 5000, 'devices declared offline');
    const h = await get();
    expect(h).toMatchObject({ status: 'degraded', reasons: ['devices-offline'], outbox: { dropped: 0 } });
    // Four of five devices speak: 20 % offline is under the quarter; they keep publishing so they stay online.
    const clients = await Promise.all(['f1', 'f2', 'f3', 'f4'].map((id) => connectDevice(edge.brokerUrl, { clientId: id, username: id, password: PASSWORD })));
    for (const c of clients) cleanups.push(() => void c.end(true));
    let on = true;
    const keepAlive = (async () => {
      while (on) {
        await Promise.all(clients.map((c, i) => publish(c, topicOf(devs[i]!), fenceAlarm(i))));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    cleanups.push(async () => {
      on = false;
      await keepAlive;
    });
    await until(async () => (await get()).status === 'ok', 5000, 'status ok');
    expect((await get()).devices.offline).toBe(1);
    const metrics = await (await fetch(`${edge.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^safestar_edge_devices_offline 1$/m);
  });

  it('status rules (pure)', () => {
    const base = { uplinkConnected: true, devicesOffline: 0, devicesTotal: 10, outboxDepth: 0, outboxMaxEvents: 100 };
    expect(edgeStatus(base)).toEqual({ status: 'ok', reasons: [] });
    expect(edgeStatus({ ...base, devicesOffline: 2 }).status).toBe('ok');
    // 3 of 10 (and the 44 %) is past the quarter.
    expect(edgeStatus({ ...base, devicesOffline: 3 }).reasons).toEqual(['devices-offline']);
    expect(edgeStatus({ ...base, devicesOffline: 44, devicesTotal: 100 }).status).toBe('degraded');
    // A scorer that was asked for and does not score degrades the edge; no scorer asked for does not.
    expect(edgeStatus({ ...base, scorerExpected: true, scorerState: 'off' }).reasons).toEqual(['scorer-off']);
    expect(edgeStatus({ ...base, scorerExpected: true, scorerState: 'degraded' }).reasons).toEqual(['scorer-off']);
    expect(edgeStatus({ ...base, scorerExpected: true, scorerState: 'ok' }).status).toBe('ok');
    expect(edgeStatus({ ...base, scorerExpected: false, scorerState: 'off' }).status).toBe('ok');
    expect(edgeStatus({ ...base, uplinkConnected: false, outboxDepth: 100 }).reasons).toEqual(['uplink-down', 'outbox-full']);
  });
});

describe('refusal log limiter (pure)', () => {
  it('lets one line per key per window through and reports how many it held back', async () => {
    const { LogLimiter } = await import('../../edge/health/log-limit.ts');
    const l = new LogLimiter(1000);
    expect(l.take('SS_AUTH_BAD_PASSWORD/f1', 0)).toBe(0);
    expect(l.take('SS_AUTH_BAD_PASSWORD/f1', 10)).toBeUndefined();
    expect(l.take('SS_AUTH_BAD_PASSWORD/f1', 20)).toBeUndefined();
    expect(l.take('SS_AUTH_BAD_PASSWORD/f2', 20)).toBe(0);
    expect(l.take('SS_AUTH_BAD_PASSWORD/f1', 1000)).toBe(2);
  });
});
