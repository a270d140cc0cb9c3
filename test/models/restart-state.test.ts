import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureExtractor, FEATURE_COUNT, type FeatureSnapshot } from '../../models/features.ts';
import { ktPaths } from '../../models/kt-artifacts.ts';
import { KT_RECIPE } from '../../models/kt.ts';
import { SqliteFeatureStateStore } from '../../edge/scoring/feature-state-store.ts';
import { createOnnxScorer, type OnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import type { Event } from '../../protocol/event.ts';
import { generateCity } from '../../simulators/city.ts';
import { generateTraffic } from '../../simulators/traffic.ts';

const HOUR = 3_600_000;
const MODEL = ktPaths(join(import.meta.dirname, '../../models'), KT_RECIPE).onnx;

/** Canonical events of a small city's normal traffic, built as the edge builds them. */
function cityEvents(startMs: number, durationMs: number, seed: number): Event[] {
  const city = generateCity({ compounds: 2, seed: 31 });
  const out: Event[] = [];
  let n = 0;
  for (const m of generateTraffic({ city, compoundIds: city.compounds.map((c) => c.id), seed, startMs, durationMs, heartbeats: false })) {
    for (const e of m.intent.events) {
      out.push({
        v: 1, id: `edge-r.${seed}.${(n++).toString(36)}`, deviceTime: m.intent.deviceTime, receivedAt: m.t, district: 'd1', compound: m.compound,
        edge: 'edge-r', device: m.device, kind: m.kind, type: e.type, severity: e.severity, attributes: { ...e.attributes },
      });
    }
  }
  return out;
}

async function feed(s: OnnxScorer, evs: Event[]): Promise<void> {
  for (let i = 0; i < evs.length; i += 200) await s.scoreBatch(evs.slice(i, i + 200));
}

// Monday 2026-10-05 00:00 +08:00; only relative times below.
const T0 = Date.parse('2026-10-04T16:00:00Z');

describe('feature memory survives a restart (issue 15: no blind spot after a restart)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-restart-'));
  const scorers: OnnxScorer[] = [];
  afterAll(async () => {
    for (const s of scorers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('snapshotChunks → restore: the next events get exactly the features of an uninterrupted extractor', () => {
    const evs = cityEvents(T0, 6 * HOUR, 5);
    const cut = Math.floor(evs.length * 0.7);
    // Vendor priors (f6) are part of the memory: every device's profile, as the site config gives it.
    const city = generateCity({ compounds: 2, seed: 31 });
    const profiles = new Map(city.compounds.flatMap((c) => c.devices.map((d) => [d.id, d.profile as string] as const)));
    const profileOf = (d: string): string | undefined => profiles.get(d);
    const a = new FeatureExtractor({ profileOf });
    for (const e of evs.slice(0, cut)) a.push(e);
    const snap = a.snapshot();
    expect(snap.vendors.length).toBeGreaterThanOrEqual(2);
    expect(snap.credentials.length).toBeGreaterThan(0);
    // What the edge saves is the text in pieces, written entry by entry: joined, the whole object's text.
    const pieces = [...a.snapshotChunks(2048)];
    expect(pieces.length).toBeGreaterThan(10);
    const text = pieces.join('');
    expect(text).toBe(JSON.stringify(snap));
    expect([...new FeatureExtractor().snapshotChunks()].join('')).toBe(JSON.stringify(new FeatureExtractor().snapshot()));
    const b = new FeatureExtractor({ profileOf });
    b.restore(JSON.parse(text) as FeatureSnapshot);
    expect(b.sizes()).toEqual(a.sizes());
    let compared = 0;
    for (const e of evs.slice(cut)) {
      const ra = a.push(e);
      const rb = b.push(e);
      expect(rb === null ? null : Array.from(rb)).toEqual(ra === null ? null : Array.from(ra));
      if (ra) compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('refuses a snapshot of another version or window setting with a code, and keeps its own memory', () => {
    const a = new FeatureExtractor();
    for (const e of cityEvents(T0, HOUR, 6)) a.push(e);
    const snap = a.snapshot();
    const fresh = new FeatureExtractor();
    expect(() => fresh.restore({ ...snap, featureVersion: 'f0' })).toThrow(/SS_FEATURE_STATE_VERSION/);
    expect(() => new FeatureExtractor({ windowMs: 5 * 60_000 }).restore(snap)).toThrow(/SS_FEATURE_STATE_OPTIONS/);
    expect(() => fresh.restore({ ...snap, devices: [['x', { broken: true }]] } as unknown as FeatureSnapshot)).toThrow(/SS_FEATURE_STATE_CORRUPT/);
    // A window entry of a type outside the catalogue, or malformed open door alarms, are corrupt too (not a huge allocation).
    const [id, dev] = snap.devices[0]!;
    expect(dev.w.length).toBeGreaterThan(0);
    const badType = { ...snap, devices: [[id, { ...dev, w: [[dev.w[0]![0], 0, 1e9, id, null]] }]] } as FeatureSnapshot;
    expect(() => fresh.restore(badType)).toThrow(/SS_FEATURE_STATE_CORRUPT.*type 1000000000/);
    expect(() => fresh.restore({ ...snap, devices: [[id, { ...dev, held: [['1', 'noon']] }]] } as unknown as FeatureSnapshot)).toThrow(/SS_FEATURE_STATE_CORRUPT/);
    expect(fresh.sizes().devices).toBe(0);
  });

  it('a scorer reopened on the same data folder flags a door held open 25 min in its first minute; a cold one is blind', { timeout: 240_000 }, async () => {
    const db = join(dir, 'outbox.sqlite');
    const traffic = cityEvents(T0, 8 * HOUR, 7);
    const restartAt = traffic.at(-1)!.deviceTime + 30_000;
    const door = traffic.find((e) => e.kind === 'access')!;
    // 25 min before the door closes (40 s after the restart), its held-open alarm: raised before
    // the stop, so only the saved memory can tell the edge how long the door then stood open.
    // The door sends nothing else meanwhile (it stands open).
    const heldAt = restartAt + 40_000 - 25 * 60_000;
    const alarm: Event = { ...door, id: 'edge-r.held', deviceTime: heldAt, receivedAt: heldAt, type: 'door-held', severity: 'minor', attributes: { door: 1 } };
    const before = [...traffic.filter((e) => !(e.device === door.device && e.deviceTime >= heldAt)), alarm].sort((a, b) => a.deviceTime - b.deviceTime);
    const first = await createOnnxScorer({ modelPath: MODEL, watchIntervalMs: false, warmupMs: 10 * 60_000, state: new SqliteFeatureStateStore(db) });
    scorers.push(first);
    await feed(first, before);
    expect(alarm.score?.anomalous, 'the alarm alone is an everyday nuisance').toBe(false);
    await first.close(); // saves the memory, as `safestar edge` does on SIGTERM
    expect(first.status().featureState.saves).toBeGreaterThanOrEqual(1);

    // The incident: the door closes, 25 min after its alarm.
    const incident = (id: string): Event => ({ ...door, id, deviceTime: restartAt + 40_000, receivedAt: restartAt + 40_000, type: 'door-closed', severity: 'info', attributes: { door: 1 } });
    // The first minute after the restart: the devices' reconnect `online` events, then the incident.
    const online = [...new Map(before.map((e) => [e.device, e])).values()].map((e, i): Event => ({ ...e, id: `edge-r.on.${i}`, deviceTime: restartAt + i * 50, receivedAt: restartAt + i * 50, type: 'online', severity: 'info', attributes: {} }));

    const restarted = await createOnnxScorer({ modelPath: MODEL, watchIntervalMs: false, warmupMs: 10 * 60_000, state: new SqliteFeatureStateStore(db) });
    scorers.push(restarted);
    expect(restarted.status().featureState.restoredDevices).toBeGreaterThan(10);
    const warm = [...online.map((e) => ({ ...e })), incident('edge-r.inc.warm')];
    await restarted.scoreBatch(warm);
    expect(warm.at(-1)!.score?.anomalous).toBe(true);

    const cold = await createOnnxScorer({ modelPath: MODEL, watchIntervalMs: false, warmupMs: 10 * 60_000 });
    scorers.push(cold);
    const blind = [...online.map((e) => ({ ...e })), incident('edge-r.inc.cold')];
    await cold.scoreBatch(blind);
    // Without the memory the edge never heard the alarm (and every device is learning): the close
    // reads as an ordinary one and the same incident goes unflagged.
    expect(blind.at(-1)!.score?.anomalous).toBe(false);
    expect(blind.at(-1)!.score!.value).toBeLessThan(warm.at(-1)!.score!.value);
    // and the restored scorer did not turn the reconnect burst into alarms
    expect(warm.slice(0, -1).filter((e) => e.score?.anomalous).length).toBeLessThanOrEqual(1);
    expect(FEATURE_COUNT).toBe(25);
  });

  it('on a cold start every new device learns, however many devices have already spoken', { timeout: 120_000 }, async () => {
    const cold = await createOnnxScorer({ modelPath: MODEL, watchIntervalMs: false, warmupMs: 10 * 60_000 });
    scorers.push(cold);
    const base = cityEvents(T0, HOUR, 8).find((e) => e.kind === 'access')!;
    const at = (i: number, device: string, type: Event['type'], attributes: Event['attributes'] = {}): Event => ({
      ...base, id: `edge-r.cold.${device}.${i}`, device, deviceTime: T0 + i, receivedAt: T0 + i, type, severity: 'info', attributes,
    });
    const burst = Array.from({ length: 300 }, (_, i) => at(i * 100, `c0001-acc-${String(i).padStart(3, '0')}`, i % 2 === 0 ? 'online' : 'granted', i % 2 === 0 ? {} : { method: 'card', card: `k${i}` }));
    // A close whose payload says the door stood open 25 min: far out for any warm door.
    const held = at(60_000, 'c0001-acc-new', 'door-closed', { door: 1, durationS: 1500 });
    await cold.scoreBatch([...burst, held]);
    expect(burst.some((e) => e.score?.anomalous)).toBe(false);
    expect(held.score?.anomalous).toBe(false);
    expect(cold.status().warmingUp).toBeGreaterThan(0);
  });
});
