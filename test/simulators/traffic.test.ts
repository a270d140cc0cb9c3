import { describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { generateTraffic, type TrafficItem } from '../../simulators/traffic.ts';
import { localClock } from '../../simulators/devices/rhythm.ts';
import { parseTopic } from '../../protocol/topics.ts';
import { isEventTypeOfKind } from '../../protocol/devices.ts';

const city = generateCity({ compounds: 3, seed: 12 });
const ids = city.compounds.map((c) => c.id);
const monday = Date.UTC(2026, 10, 29, 16, 0, 0); // Mon 2026-11-30 00:00 +08:00

function take(n: number, seed: number): TrafficItem[] {
  const out: TrafficItem[] = [];
  for (const it of generateTraffic({ city, compoundIds: ids, seed, startMs: monday, durationMs: 3600_000 * 6 })) {
    out.push(it);
    if (out.length >= n) break;
  }
  return out;
}

describe('generateTraffic', () => {
  it('same seed → same stream; another seed → another stream', () => {
    const a = take(3000, 1);
    expect(take(3000, 1)).toEqual(a);
    expect(take(3000, 2)).not.toEqual(a);
  });

  it('is time-ordered, on valid device topics, with canonical types of the right kind', () => {
    const items = take(5000, 3);
    const bad: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i > 0 && it.t < items[i - 1]!.t) bad.push(`order at ${i}`);
      const t = parseTopic(it.topic);
      if (!(t.ok && t.topic.scope === 'device' && t.topic.device === it.device && t.topic.channel === it.channel)) bad.push(`topic ${it.topic}`);
      for (const e of it.intent.events) if (!isEventTypeOfKind(it.kind, e.type)) bad.push(`${e.type} on ${it.kind}`);
      if (it.expectedEvents !== it.intent.events.length) bad.push(`expected ${it.expectedEvents} vs ${it.intent.events.length}`);
    }
    expect(bad).toEqual([]);
    expect(new Set(items.map((i) => i.channel))).toEqual(new Set(['events', 'heartbeat', 'state']));
  });

  it('daily rhythm: morning and evening peaks, a night lull, flatter weekends', () => {
    // Friday 00:00 → Monday 24:00 local: two weekdays and a weekend, one big compound's doors.
    const friday = monday - 3 * 86_400_000;
    const big = generateCity({ compounds: 30, seed: 12 }).compounds.sort((a, b) => b.households - a.households)[0]!;
    const one = { ...city, compounds: [{ ...big, devices: big.devices.filter((d) => d.kind === 'access') }] };
    const counts = new Array<number>(24 * 4).fill(0);
    for (const it of generateTraffic({ city: one, compoundIds: [big.id], seed: 4, startMs: friday, durationMs: 4 * 86_400_000, heartbeats: false, states: false })) {
      counts[Math.floor((it.t - friday) / 3_600_000)]!++;
    }
    const weekday = (h: number): number => (counts[h]! + counts[72 + h]!) / 2;
    const weekend = (h: number): number => (counts[24 + h]! + counts[48 + h]!) / 2;
    const night = (weekday(2) + weekday(3) + weekday(4)) / 3;
    expect(weekday(8)).toBeGreaterThan(8 * night);
    expect(weekday(18)).toBeGreaterThan(8 * night);
    expect(weekday(8)).toBeGreaterThan(1.5 * weekday(14));
    // Weekends: a later, smaller morning peak.
    expect(weekend(8)).toBeLessThan(0.75 * weekday(8));
    expect(weekend(11)).toBeGreaterThan(weekday(11));
  });

  it('residents recur: a few cards and plates account for many passages', () => {
    const cards = new Map<string, number>();
    const plates = new Map<string, number>();
    for (const it of generateTraffic({ city, compoundIds: [ids[0]!], seed: 5, startMs: monday, durationMs: 2 * 86_400_000, heartbeats: false, states: false })) {
      for (const e of it.intent.events) {
        if (e.type === 'granted' && typeof e.attributes['card'] === 'string') cards.set(e.attributes['card'], (cards.get(e.attributes['card']) ?? 0) + 1);
        if (e.type === 'plate-read' && typeof e.attributes['plate'] === 'string') plates.set(e.attributes['plate'], (plates.get(e.attributes['plate']) ?? 0) + 1);
      }
    }
    expect(Math.max(...cards.values())).toBeGreaterThanOrEqual(5);
    expect(Math.max(...plates.values())).toBeGreaterThanOrEqual(5);
  });

  it('heartbeats come on each device schedule; some device clocks drift', () => {
    const items = [...generateTraffic({ city, compoundIds: ids, seed: 6, startMs: monday, durationMs: 600_000 })];
    const dev = city.compounds[0]!.devices[0]!;
    const hbs = items.filter((i) => i.device === dev.id && i.channel === 'heartbeat').map((i) => i.t);
    expect(hbs.length).toBeGreaterThanOrEqual(Math.floor(600 / dev.heartbeatSeconds) - 1);
    for (let i = 1; i < hbs.length; i++) expect(hbs[i]! - hbs[i - 1]!).toBe(dev.heartbeatSeconds * 1000);
    const drifting = new Set(items.filter((i) => i.intent.deviceTime !== i.t).map((i) => i.device));
    const all = new Set(items.map((i) => i.device));
    expect(drifting.size).toBeGreaterThan(0);
    expect(drifting.size).toBeLessThan(all.size / 2);
  });

  it('ratePerSecond sets the events-channel rate', () => {
    const items = [...generateTraffic({ city, compoundIds: ids, seed: 7, startMs: monday, durationMs: 60_000, ratePerSecond: 100, rhythm: 'flat', heartbeats: false, states: false })];
    const events = items.filter((i) => i.channel === 'events').length;
    expect(events).toBeGreaterThan(100 * 60 * 0.9);
    expect(events).toBeLessThan(100 * 60 * 1.15);
    expect(localClock(monday, 480).hour).toBe(0);
  });

  it('a camera region entry is one person\'s: its leave follows on the same region, mostly within minutes; no leave comes alone', () => {
    const open = new Map<string, number[]>();
    const stays: number[] = [];
    let orphans = 0;
    for (const it of generateTraffic({ city, compoundIds: ids, seed: 5, startMs: monday, durationMs: 3600_000 * 24 })) {
      if (it.kind !== 'camera') continue;
      for (const e of it.intent.events) {
        const key = `${it.device}/${String(e.attributes['region'])}`;
        if (e.type === 'intrusion-enter') open.set(key, [...(open.get(key) ?? []), it.t]);
        if (e.type !== 'intrusion-leave') continue;
        const t0 = open.get(key)?.shift();
        if (t0 === undefined) orphans++;
        else stays.push(it.t - t0);
      }
    }
    stays.sort((a, b) => a - b);
    expect(stays.length).toBeGreaterThan(100);
    expect(orphans).toBe(0);
    expect(stays[0]).toBeGreaterThan(0);
    expect(stays[Math.floor(stays.length / 2)]!).toBeLessThan(120_000);
    expect(stays[Math.floor(stays.length * 0.9)]!).toBeLessThan(600_000);
    expect(stays.at(-1)!).toBeLessThanOrEqual(3_600_000);
  });
});
