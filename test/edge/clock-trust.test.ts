import { afterEach, describe, expect, it } from 'vitest';
import { startEdge } from '../../edge/edge.ts';
import { PASSWORD, connectDevice, device, publish, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/**
 * Issue 12, clock trust: devices 5 h slow, 5 h fast or reset to 2000-01-01 are flagged
 * clockSuspect and stored at edge time with their own time kept; nothing is rejected. Times are
 * relative to the real clock, so this passes on any date (and under faketime).
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const H = 3600_000;
/** A GB/T 7946 fence alarm whose device clock reads `deviceMs` (local time, +08:00). */
const fenceAt = (deviceMs: number): string =>
  JSON.stringify({ host: 'PF-01', zone: 2, event: 'alarm', voltage_kv: 7.8, armed: true, time: new Date(deviceMs + 8 * H).toISOString().slice(0, 19).replace('T', ' ') });
const RESET = Date.UTC(2000, 0, 1, 4, 0, 0); // 2000-01-01 12:00 at +08:00: in range, but a reset clock

describe('clock trust', () => {
  it('flags devices 5 h slow, 5 h fast and reset to 2000-01-01; an accurate one is not flagged', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const ids = ['slow', 'fast', 'reset', 'good'];
    const edge = await startEdge(siteConfig(t.dir, hub.url, ids.map((id) => device(id))));
    cleanups.push(() => edge.close());
    const sentAt = Date.now();
    const deviceTimes: Record<string, number> = { slow: sentAt - 5 * H, fast: sentAt + 5 * H, reset: RESET, good: sentAt };
    for (const id of ids) {
      const c = await connectDevice(edge.brokerUrl, { clientId: id, username: id, password: PASSWORD });
      cleanups.push(() => void c.end(true));
      await publish(c, topicOf(device(id)), fenceAt(deviceTimes[id]!));
    }
    await edge.drain(5000);
    await until(() => hub.events.length >= 4);
    const byDevice = new Map(hub.events.map((e) => [e['device'] as string, e]));
    for (const id of ['slow', 'fast', 'reset']) {
      const e = byDevice.get(id)!;
      const reported = Math.floor(deviceTimes[id]! / 1000) * 1000; // the fence sends whole seconds
      expect(e).toMatchObject({ type: 'fence-alarm', clockSuspect: true, deviceTimeReported: reported });
      expect(e['deviceTime']).toBe(e['receivedAt']);
      expect(e['clockSkewMs']).toBe((e['receivedAt'] as number) - reported);
      const view = (await (await fetch(`${edge.apiUrl}/devices/${id}`)).json()) as { clock: { skewMs: number; suspect: boolean; suspectEvents: number } };
      expect(view.clock).toMatchObject({ suspect: true, suspectEvents: 1, skewMs: e['clockSkewMs'] });
    }
    expect(byDevice.get('slow')!['clockSkewMs'] as number).toBeGreaterThan(4.9 * H);
    expect(byDevice.get('fast')!['clockSkewMs'] as number).toBeLessThan(-4.9 * H);
    const good = byDevice.get('good')!;
    expect(good['clockSuspect']).toBeUndefined();
    expect(good['deviceTime']).toBe(Math.floor(sentAt / 1000) * 1000);
    const goodView = (await (await fetch(`${edge.apiUrl}/devices/good`)).json()) as { clock: { suspect: boolean; skewMs: number } };
    expect(goodView.clock.suspect).toBe(false);
    expect(Math.abs(goodView.clock.skewMs)).toBeLessThan(60_000);
    const metrics = await (await fetch(`${edge.apiUrl}/metrics`)).text();
    expect(metrics).toContain('safestar_edge_clock_suspect_events_total 3');
    expect(metrics).toContain('safestar_edge_devices_clock_suspect 3');
    expect(edge.stats()).toMatchObject({ events: 4, deadLettered: 0 });
  });
});
