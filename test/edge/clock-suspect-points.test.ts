import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startEdge } from '../../edge/edge.ts';
import { EdgeTimeStandIn } from '../../edge/pipeline/edge-time.ts';
import { ingest, type IngestContext } from '../../edge/pipeline/ingest.ts';
import { createPrivacy } from '../../edge/pipeline/privacy.ts';
import { FieldTypes } from '../../hub/store/fields.ts';
import { eventLine, nsTime } from '../../hub/store/line.ts';
import type { Event } from '../../protocol/event.ts';
import { influxQuery } from '../hub/helpers.ts';
import { PASSWORD, connectDevice, device, publish, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/**
 * The e2e bench's lost points (bench/README.md): a device whose clock is reset is stored at edge
 * time (clockSuspect), so a burst of its events shares the edge's receive millisecond, and the hub
 * writes each as an InfluxDB point at that ms + six digits hashed from the id (nsTime). Two of
 * them whose ids share a slot were one point. Here the edge clock is frozen (the injectable
 * clock), so every event of the burst is received in one ms, and the burst holds a pair of events
 * whose ids are known to share a slot: real edge (MQTT, ingest, outbox, uplink) → the hub's line
 * building → a real influxd, then points are counted. Passes on any date: the device time is the
 * reset clock's (2000-01-01), the edge's frozen time is the real clock at the start.
 */
const EDGE_ID = 'edge-t1'; // siteConfig's edge: ids name the edge
const SLOTS = 1_000_000;
/** A fence alarm from a reset clock (2000-01-01 12:00 at +08:00), zone and host from `i`. */
const resetClockAlarm = (i: number): string =>
  JSON.stringify({ host: `PF-${Math.floor(i / 80) + 1}`, zone: (i % 80) + 1, event: 'alarm', voltage_kv: 7.8, armed: true, time: '2000-01-01 12:00:00' });

/**
 * The first two messages (by i) whose event ids fall into one sub-ms slot, found with the real
 * ingest (ids are content digests, edge/pipeline/ids.ts); ≈ 1,250 tries by the birthday bound.
 */
function collidingPair(deviceId: string): [number, number, string, string] {
  const ctx: IngestContext = {
    edge: EDGE_ID, timezone: '+08:00', maxPayloadBytes: 16_384, mintId: () => 'unused', privacy: createPrivacy('unused-secret-0123456789'),
    maxSkewMs: 900_000, standIn: new EdgeTimeStandIn(),
  };
  const entry = { device: device(deviceId), district: 'd1', prefix: '', username: deviceId };
  const bySlot = new Map<number, [number, string]>();
  for (let i = 0; i < 200_000; i++) {
    const r = ingest(ctx, entry, 'events', topicOf(entry.device), Buffer.from(resetClockAlarm(i)), Date.now());
    if (!r.ok) throw new Error(r.deadLetter.reason);
    const id = r.events[0]!.id;
    const slot = Number(nsTime(0, id)) % SLOTS;
    const other = bySlot.get(slot);
    if (other !== undefined) return [other[0], i, other[1], id];
    bySlot.set(slot, [i, id]);
  }
  throw new Error('no two ids in one slot in 200,000 tries: the id hash is not what line.ts says');
}

let influxd: InfluxdHandle;
beforeAll(async () => {
  influxd = await startInfluxd();
  await fetch(`${influxd.url}/query?q=${encodeURIComponent('CREATE DATABASE pts')}`, { method: 'POST' });
}, 60_000);
afterAll(async () => influxd?.stop());

describe.each([0, 1])('clock-suspect events of one device in one receive ms (pipeline.workers %i)', (workers) => {
  it('are each their own InfluxDB point, even two whose ids share a sub-ms slot', { timeout: 60_000 }, async () => {
    const id = `reset-clock-${workers}`;
    const [a, b, idA, idB] = collidingPair(id);
    expect(idA).not.toBe(idB);
    // The burst: the pair with other messages between them, all received in the frozen ms.
    const burst = [a, ...Array.from({ length: 40 }, (_, k) => b + 1 + k), b];
    const t = tempDir();
    const hub = await startHubStandIn();
    const frozen = Date.now();
    const edge = await startEdge(siteConfig(t.dir, hub.url, [device(id)], workers > 0 ? { pipeline: { workers } } : {}), { clock: () => frozen });
    const c = await connectDevice(edge.brokerUrl, { clientId: id, username: id, password: PASSWORD });
    try {
      for (const i of burst) await publish(c, topicOf(device(id)), resetClockAlarm(i));
      await edge.drain(10_000);
      await until(() => hub.events.length >= burst.length, 20_000, 'the burst at the hub');
    } finally {
      c.end(true);
      await edge.close();
      await hub.close();
      t.cleanup();
    }
    const events = hub.events as unknown as Event[];
    expect(events.map((e) => e.id)).toContain(idA);
    expect(events.map((e) => e.id)).toContain(idB);
    expect(new Set(events.map((e) => e.id)).size).toBe(burst.length);
    for (const e of events) expect(e).toMatchObject({ device: id, clockSuspect: true, receivedAt: frozen, type: 'fence-alarm', severity: 'major' });
    // The hub's lines, written as the hub writes them (precision ns), then the points counted.
    const fields = new FieldTypes();
    const w = await fetch(`${influxd.url}/write?db=pts&precision=ns`, { method: 'POST', body: events.map((e) => eventLine(e, fields)).join('\n') });
    expect(w.status).toBe(204);
    const rows = await influxQuery(influxd.url, 'pts', `SELECT count(id) FROM events WHERE device = '${id}'`);
    expect(rows[0]?.[1]).toBe(burst.length);
    // The stand-in for the first is the receive time itself (clock-trust.test.ts), the rest never repeat its ms.
    expect(Math.min(...events.map((e) => e.deviceTime))).toBe(frozen);
    expect(new Set(events.map((e) => e.deviceTime)).size).toBe(burst.length);
  });
});
