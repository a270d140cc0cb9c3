import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../edge/outbox/outbox.ts';
import { HealthTracker } from '../../edge/health/health.ts';
import { DeviceRegistry } from '../../edge/auth/registry.ts';
import { validateSiteConfig } from '../../edge/config.ts';
import { startEdge } from '../../edge/edge.ts';
import { PASSWORD, connectDevice, device, fenceAlarm, publish, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const row = (i: number, life: boolean) => ({ life, at: 1_764_404_102_000 + i, body: `{"i":${i}}` });

describe('outbox bound policy', () => {
  it('drops the oldest non-life-safety rows past maxEvents and never a life-safety row', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const ob = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 100 });
    cleanups.push(() => ob.close());
    expect(ob.write(Array.from({ length: 80 }, (_, i) => row(i, false)), [])).toBe(0);
    expect(ob.write(Array.from({ length: 30 }, (_, i) => row(100 + i, true)), [])).toBe(10);
    expect(ob.depth()).toBe(100);
    // Only life-safety rows left to drop beyond this point: they stay, above the bound.
    expect(ob.write(Array.from({ length: 200 }, (_, i) => row(200 + i, false)), [])).toBe(200);
    expect(ob.write(Array.from({ length: 20 }, (_, i) => row(500 + i, true)), [])).toBe(20);
    const kept = ob.db.prepare('SELECT life FROM outbox ORDER BY seq').all() as { life: number }[];
    expect(kept.filter((r) => r.life === 1)).toHaveLength(50);
    expect(ob.depth()).toBe(kept.length);
    // Life-safety rows go first in what the uplink reads.
    expect(ob.next(0, 0, 5).every((r) => r.life)).toBe(true);
    // An acknowledged batch of mixed classes removes exactly its own rows (range deletes per class).
    const depth = ob.depth();
    const batch = ob.next(0, 0, 60); // 50 life + the 10 oldest normal rows
    expect(batch.filter((r) => r.life)).toHaveLength(50);
    const later = ob.next(batch.filter((r) => r.life).at(-1)!.seq, batch.filter((r) => !r.life).at(-1)!.seq, 10);
    expect(ob.remove(batch)).toBe(60);
    expect(ob.depth()).toBe(depth - 60);
    const left = (ob.db.prepare('SELECT seq FROM outbox ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
    for (const r of later) expect(left).toContain(r.seq);
    for (const r of batch) expect(left).not.toContain(r.seq);
  });

  it('keeps the boot counter across reopen so ids never repeat after a restart', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const a = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 100 });
    a.write([row(1, false)], []);
    a.close();
    const b = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 100 });
    cleanups.push(() => b.close());
    expect(b.boot).toBe(a.boot + 1);
    expect(b.depth()).toBe(1);
  });
});

describe('device health', () => {
  it('declares a silent device offline after N missed intervals, and online again when it speaks', () => {
    const cfg = validateSiteConfig(siteConfig('/tmp/x', 'mqtt://127.0.0.1:1', [device('f1', { heartbeatSeconds: 10 }), device('f2', { heartbeatSeconds: 10 })]));
    let now = 1_000_000;
    const h = new HealthTracker(new DeviceRegistry(cfg), () => now, 3);
    h.seen('f1', now);
    now += 29_000;
    expect(h.sweep(now)).toEqual([]);
    now += 2_000;
    const off = h.sweep(now);
    expect(off.map((t) => [t.entry.device.id, t.type, t.reason])).toEqual([['f1', 'offline', 'heartbeat-missed'], ['f2', 'offline', 'never-seen']]);
    expect(h.sweep(now + 60_000)).toEqual([]); // once, not every sweep
    expect(h.view('f1')?.online).toBe(false);
    const back = h.seen('f1', now + 61_000);
    expect(back).toMatchObject({ type: 'online', reason: 'seen-again' });
    expect(h.view('f1')?.online).toBe(true);
    expect(h.onlineByCompound().get('c1')).toEqual({ online: 1, total: 2 });
  });

  it('sends edge-origin offline/online events and device Last Will offline events to the hub; one edge state message', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const devs = [device('f1', { heartbeatSeconds: 1 }), device('f2', { heartbeatSeconds: 3600 })];
    const edge = await startEdge(siteConfig(t.dir, hub.url, devs), { healthSweepMs: 100, missedHeartbeats: 2 });
    let edgeClosed = false;
    cleanups.push(async () => {
      if (!edgeClosed) await edge.close();
    });
    const f1 = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void f1.end(true));
    await publish(f1, topicOf(devs[0]!, 'heartbeat'), JSON.stringify({ ts: Date.now(), uptimeS: 5 }));
    // (On a slow machine f1 may first be reported 'never-seen' before it connects: look for the silence case.)
    const missed = (e: Record<string, unknown>): boolean =>
      e['type'] === 'offline' && e['device'] === 'f1' && (e['attributes'] as Record<string, unknown>)['reason'] === 'heartbeat-missed';
    await until(() => hub.events.some(missed), 10_000, 'edge offline event');
    const off = hub.events.find(missed) as { attributes: Record<string, unknown> };
    expect(off.attributes).toMatchObject({ origin: 'edge', reason: 'heartbeat-missed' });
    const onlineAgain = (): boolean =>
      hub.events.some((e) => e['type'] === 'online' && e['device'] === 'f1' && (e['attributes'] as Record<string, unknown>)['reason'] === 'seen-again' && (e['receivedAt'] as number) >= (off as unknown as { receivedAt: number }).receivedAt);
    await publish(f1, topicOf(devs[0]!), fenceAlarm(1));
    await until(onlineAgain, 5000, 'edge online event');

    // Last Will: the device dies without DISCONNECT → its "offline" will is a device-origin event.
    const f2 = await connectDevice(edge.brokerUrl, {
      clientId: 'f2', username: 'f2', password: PASSWORD, will: { topic: topicOf(devs[1]!, 'state'), payload: Buffer.from('offline'), qos: 1, retain: false },
    });
    await publish(f2, topicOf(devs[1]!, 'state'), 'online');
    (f2.stream as unknown as { destroy(): void }).destroy();
    await until(() => hub.events.some((e) => e['type'] === 'offline' && e['device'] === 'f2'), 5000, 'will offline event');
    const will = hub.events.find((e) => e['type'] === 'offline' && e['device'] === 'f2') as { attributes: Record<string, unknown> };
    expect(will.attributes['source']).toBe('device');
    const dev = (await (await fetch(`${edge.apiUrl}/devices/f2`)).json()) as { online: boolean };
    expect(dev.online).toBe(false);
    f2.end(true);

    await until(() => hub.states.some((s) => s['state'] === 'online'), 5000, 'edge online state');
    expect(hub.states.find((s) => s['state'] === 'online')).toMatchObject({ edge: 'edge-t1', devices: 2 });
    await edge.close();
    edgeClosed = true;
    await until(() => hub.states.some((s) => s['state'] === 'offline'), 5000, 'edge offline state');
    expect(hub.states.filter((s) => s['state'] === 'offline')).toHaveLength(1);
  });
});
