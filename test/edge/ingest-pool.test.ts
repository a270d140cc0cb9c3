import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceKind } from '../../protocol/devices.ts';
import type { SiteDevice } from '../../protocol/site.ts';
import type { DeviceChannel } from '../../protocol/topics.ts';
import { VENDOR_PROFILE_NAMES, VENDOR_PROFILES, profilesOfKind, type VendorProfile } from '../../protocol/vendors.ts';
import type { DeviceEntry } from '../../edge/auth/registry.ts';
import { bodyOf } from '../../edge/pipeline/bodies.ts';
import { EdgeTimeStandIn } from '../../edge/pipeline/edge-time.ts';
import { IngestPool, type IngestJob } from '../../edge/pipeline/ingest-pool.ts';
import { ingest, type IngestContext, type IngestResult } from '../../edge/pipeline/ingest.ts';
import { createPrivacy } from '../../edge/pipeline/privacy.ts';
import type { IngestWorkerData } from '../../edge/pipeline/pool-protocol.ts';
import { until } from './helpers.ts';

/**
 * The ingest pool (pipeline.workers, issue 14) against the single-threaded `ingest` on the same
 * input: every vendor fixture (good and bad) from many devices, shuffled. Same events, same
 * bodies, same dead letters, handed back in submission order; a stopped thread loses nothing.
 */
const root = join(import.meta.dirname, '..', 'fixtures', 'vendors');
const SECRET = 'pool-test-secret-0123456789';
const RECEIVED = 1_764_404_102_000;

interface Fixture { kind: DeviceKind; channel: DeviceChannel; payload?: unknown; payloadText?: string; payloadBase64?: string }

function bytes(f: Fixture): Buffer {
  if (f.payloadText !== undefined) return Buffer.from(f.payloadText, 'utf8');
  if (f.payloadBase64 !== undefined) return Buffer.from(f.payloadBase64, 'base64');
  return Buffer.from(JSON.stringify(f.payload), 'utf8');
}

// Three devices per profile, so every thread gets several devices and each device several messages.
const devices: SiteDevice[] = [];
for (const p of VENDOR_PROFILE_NAMES) {
  for (let i = 0; i < 3; i++) devices.push({ id: `${p}-${i}`, compound: 'c1', kind: VENDOR_PROFILES[p], profile: p, passwordHash: 'x', heartbeatSeconds: 30 });
}
const entries = new Map<string, DeviceEntry>(devices.map((d) => [d.id, { device: d, district: 'd1', prefix: '', username: d.id }]));

function jobs(): IngestJob[] {
  const out: IngestJob[] = [];
  let n = 0;
  for (const dir of readdirSync(root)) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json'))) {
      const f = JSON.parse(readFileSync(join(root, dir, file), 'utf8')) as Fixture;
      const profile = (VENDOR_PROFILE_NAMES as string[]).includes(dir) ? (dir as VendorProfile) : (profilesOfKind(f.kind)[0] as VendorProfile);
      for (let i = 0; i < 3; i++) {
        const entry = entries.get(`${profile}-${i}`)!;
        out.push({ entry, channel: f.channel, topic: `ss/v1/dev/c1/${entry.device.kind}/${entry.device.id}/${f.channel}`, payload: bytes(f), receivedAt: RECEIVED + n++ });
      }
    }
  }
  // A deterministic shuffle: devices interleave as they would on a live broker.
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const ctx = (): IngestContext => ({ edge: 'edge-p1', timezone: '+08:00', maxPayloadBytes: 16_384, mintId: () => 'edge-p1.unused', privacy: createPrivacy(SECRET), maxSkewMs: 900_000, standIn: new EdgeTimeStandIn() });

function data(): IngestWorkerData {
  return { edge: 'edge-p1', timezone: '+08:00', maxPayloadBytes: 16_384, maxSkewMs: 900_000, privacyKey: SECRET, devices: devices.map((d) => ({ device: d, district: 'd1' })) };
}

const pools: IngestPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

function pool(workers: number, over: Partial<ConstructorParameters<typeof IngestPool>[0]> = {}): IngestPool {
  const c = ctx();
  const p = new IngestPool({ workers, data: data(), fallback: (j) => ingest(c, j.entry, j.channel, j.topic, j.payload, j.receivedAt), standIn: c.standIn, ...over });
  pools.push(p);
  return p;
}

/** What the outbox would get from a result: each event's stored body, or the dead letter. */
function stored(r: IngestResult): unknown {
  return r.ok ? { events: r.events, bodies: r.events.map(bodyOf) } : { deadLetter: r.deadLetter };
}

async function runAll(p: IngestPool, input: IngestJob[]): Promise<{ order: number[]; out: unknown[] }> {
  const order: number[] = [];
  const out: unknown[] = new Array(input.length);
  input.forEach((j, i) => p.submit(j, (r) => {
    order.push(i);
    out[i] = stored(r);
  }));
  await until(() => order.length === input.length, 60_000, 'every message handed back');
  return { order, out };
}

describe('ingest pool (pipeline.workers)', () => {
  it('gives exactly what single-threaded ingest gives (events, bodies, dead letters), in submission order', { timeout: 90_000 }, async () => {
    const input = jobs();
    const c = ctx();
    const expected = input.map((j) => stored(ingest(c, j.entry, j.channel, j.topic, j.payload, j.receivedAt)));
    const okCount = expected.filter((e) => 'events' in (e as object)).length;
    expect(okCount, 'the fixtures hold good messages').toBeGreaterThan(50);
    expect(input.length - okCount, 'and bad ones').toBeGreaterThan(10);
    const p = pool(2, { maxBatch: 16 });
    const { order, out } = await runAll(p, input);
    expect(order).toEqual(input.map((_, i) => i));
    expect(out).toEqual(expected);
    expect(p.stats.batches, 'work went to the threads in several batches').toBeGreaterThan(2);
    expect(p.stats.retried).toBe(0);
  });

  it('splices a score given on the main thread into the worker-made body exactly as JSON.stringify would', async () => {
    const p = pool(1);
    // A message that decodes (the fixtures hold refusals too; which one comes first after the shuffle depends on how many there are).
    const c = ctx();
    const j = jobs().find((x) => x.entry.device.profile === 'hik-access' && x.channel === 'events' && ingest(c, x.entry, x.channel, x.topic, x.payload, x.receivedAt).ok)!;
    let r: IngestResult | undefined;
    p.submit(j, (x) => (r = x));
    await until(() => r !== undefined, 30_000, 'result');
    expect(r!.ok).toBe(true);
    if (!r!.ok) return;
    const e = r!.events[0]!;
    e.score = { value: 0.125, threshold: 3.5, model: 'kt-2.2.0', anomalous: false };
    expect(bodyOf(e)).toBe(JSON.stringify(e));
    delete e.score;
    expect(bodyOf(e)).toBe(JSON.stringify(e));
  });

  it('a thread that stops mid-batch is restarted; its messages are ingested on the main thread, same results, same order', { timeout: 90_000 }, async () => {
    const input = jobs();
    const c = ctx();
    const crashDevice = input[10]!.entry;
    // Bytes holding the fixture's crash marker (the message itself is a dead letter on any thread).
    const marker: IngestJob = { entry: crashDevice, channel: 'events', topic: 't', payload: Buffer.from('{"__crash__":1}'), receivedAt: RECEIVED };
    input.splice(10, 0, marker);
    const expected = input.map((j) => stored(ingest(c, j.entry, j.channel, j.topic, j.payload, j.receivedAt)));
    const stops: Array<[string, number, boolean]> = [];
    const p = pool(2, { script: new URL('./fixtures/crashing-ingest-worker.mjs', import.meta.url), onWorkerStopped: (why, n, restarted) => stops.push([why, n, restarted]) });
    const { order, out } = await runAll(p, input);
    expect(order).toEqual(input.map((_, i) => i));
    expect(out).toEqual(expected);
    expect(stops.length).toBe(1);
    expect(stops[0]![0]).toMatch(/exited with code 7/);
    expect(stops[0]![1]).toBeGreaterThanOrEqual(1);
    expect(stops[0]![2]).toBe(true);
    expect(p.stats.restarts).toBe(1);
    // The restarted thread serves again.
    const more = jobs().slice(0, 20);
    const again = await runAll(p, more);
    expect(again.out).toEqual(more.map((j) => stored(ingest(c, j.entry, j.channel, j.topic, j.payload, j.receivedAt))));
    expect(p.threads().every((w) => w !== undefined)).toBe(true);
  });

  it('clock-suspect stand-ins never repeat a device ms across threads, a main-thread retry and a restarted thread', { timeout: 90_000 }, async () => {
    // A fence reset to 2000, every message received in one ms: each event is stored at edge time,
    // one ms after the last of this device (edge-time.ts), whichever thread ingests it.
    const entry = entries.get('gbt7946-fence-0')!;
    let n = 0;
    const job = (payload?: string): IngestJob => ({
      entry, channel: 'events', topic: 't', receivedAt: RECEIVED,
      payload: Buffer.from(payload ?? JSON.stringify({ host: 'PF-01', zone: ++n, event: 'alarm', armed: true, time: '2000-01-01 12:00:00' })),
    });
    const first = Array.from({ length: 10 }, () => job()); // answered by the thread
    const second = [...Array.from({ length: 5 }, () => job()), job('{"__crash__":1}'), ...Array.from({ length: 5 }, () => job())]; // retried here
    const third = Array.from({ length: 10 }, () => job()); // the restarted thread
    const c = ctx();
    const expected = [...first, ...second, ...third].map((j) => stored(ingest(c, j.entry, j.channel, j.topic, j.payload, j.receivedAt)));
    const p = pool(1, { script: new URL('./fixtures/crashing-ingest-worker.mjs', import.meta.url) });
    const out = [...(await runAll(p, first)).out, ...(await runAll(p, second)).out];
    expect(p.stats).toMatchObject({ restarts: 1, retried: second.length });
    out.push(...(await runAll(p, third)).out);
    expect(p.stats.retried, 'the third round ran on the restarted thread').toBe(second.length);
    expect(out).toEqual(expected);
    const times = out.flatMap((o) => ('events' in (o as object) ? (o as { events: Array<{ deviceTime: number; clockSuspect?: boolean }> }).events : []));
    expect(times).toHaveLength(first.length + second.length - 1 + third.length);
    expect(times.every((e) => e.clockSuspect === true)).toBe(true);
    expect(times.map((e) => e.deviceTime)).toEqual(times.map((_, i) => RECEIVED + i));
  });

  it('terminates a thread stuck on a batch past the stall guard; the batch is ingested on the main thread', { timeout: 60_000 }, async () => {
    const c = ctx();
    const stops: string[] = [];
    const p = pool(1, { stallMs: 300, script: new URL('./fixtures/crashing-ingest-worker.mjs', import.meta.url), onWorkerStopped: (why) => stops.push(why) });
    const input = jobs().slice(0, 5);
    input.push({ ...input[0]!, payload: Buffer.from('{"__hang__":1}') });
    const { order, out } = await runAll(p, input);
    expect(order).toEqual(input.map((_, i) => i));
    expect(out).toEqual(input.map((j) => stored(ingest(c, j.entry, j.channel, j.topic, j.payload, j.receivedAt))));
    expect(stops).toEqual([expect.stringMatching(/exited with code 1/)]);
  });

  it('dead-letters a message (SS_EDGE_INGEST_WORKER, raw bytes kept) when its thread stopped and the main-thread retry throws too', { timeout: 60_000 }, async () => {
    const p = pool(1, {
      script: new URL('./fixtures/crashing-ingest-worker.mjs', import.meta.url),
      fallback: () => {
        throw new Error('retry refused');
      },
    });
    const entry = entries.get('gbt7946-fence-0')!;
    const payload = Buffer.from('{"__crash__":1}');
    let r: IngestResult | undefined;
    p.submit({ entry, channel: 'events', topic: 'ss/v1/dev/c1/fence/gbt7946-fence-0/events', payload, receivedAt: RECEIVED }, (x) => (r = x));
    await until(() => r !== undefined, 30_000, 'result');
    expect(r!.ok).toBe(false);
    if (r!.ok) return;
    expect(r!.deadLetter.code).toBe('SS_EDGE_INGEST_WORKER');
    expect(r!.deadLetter.reason).toMatch(/exited with code 7.*retry refused/);
    expect(r!.deadLetter.payload).toEqual(payload);
    expect(p.stats.deadLettered).toBe(1);
  });
});
