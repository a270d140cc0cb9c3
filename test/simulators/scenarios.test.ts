import { describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { generateTraffic, type TrafficItem } from '../../simulators/traffic.ts';
import { planScenarios, SCENARIO_NAMES } from '../../simulators/scenarios/index.ts';
import { BAD_KINDS } from '../../simulators/vendors/types.ts';
import { localClock } from '../../simulators/devices/rhythm.ts';

const city = generateCity({ compounds: 3, seed: 21 });
const ids = city.compounds.map((c) => c.id);
const startMs = Date.UTC(2026, 10, 29, 16, 0, 0); // Monday 00:00 in Xiamen
const durationMs = 12 * 3600_000;

describe('scenarios and ground truth', () => {
  const plan = planScenarios({
    city, compoundIds: ids, seed: 9, startMs, durationMs,
    scenarios: SCENARIO_NAMES.map((scenario) => ({ scenario })),
    bad: BAD_KINDS.map((bad) => ({ bad, count: bad === 'flood' ? 60 : undefined })),
  });
  const items: TrafficItem[] = [...generateTraffic({ city, compoundIds: ids, seed: 9, startMs, durationMs, plan, heartbeats: false, ratePerSecond: 0.05 })];

  it('every incident and bad-traffic kind has one truth record', () => {
    const names = plan.truth.map((t) => t.scenario).sort();
    expect(names).toEqual([...SCENARIO_NAMES, ...BAD_KINDS.map((b) => `bad-${b}`)].sort());
    for (const t of plan.truth) {
      expect(t.end).toBeGreaterThanOrEqual(t.start);
      expect(ids).toContain(t.compound);
      expect(t.devices.length).toBeGreaterThan(0);
    }
  });

  it('the truth matches what was sent: devices, time span and event counts', () => {
    for (const t of plan.truth) {
      const sent = items.filter((i) => i.truthId === t.id);
      expect(sent.length, t.id).toBeGreaterThan(0);
      expect(new Set(sent.map((i) => i.device))).toEqual(new Set(t.devices));
      expect(Math.min(...sent.map((i) => i.t))).toBe(t.start);
      expect(Math.max(...sent.map((i) => i.t))).toBe(t.end);
      if (t.expect?.events !== undefined) expect(sent.reduce((n, i) => n + i.expectedEvents, 0), t.id).toBe(t.expect.events);
      if (t.scenario.startsWith('bad-')) expect(sent.every((i) => i.bad && i.expectedEvents === 0)).toBe(true);
    }
  });

  it('a burglary night runs fence cut → intrusion → forced door, at night', () => {
    const t = plan.truth.find((r) => r.scenario === 'burglary-night')!;
    const types = items.filter((i) => i.truthId === t.id).flatMap((i) => i.intent.events.map((e) => e.type));
    expect(types.indexOf('wire-cut')).toBeLessThan(types.indexOf('intrusion-enter'));
    expect(types.indexOf('intrusion-enter')).toBeLessThan(types.indexOf('door-forced'));
    const h = localClock(t.start, 480).hour;
    expect(h >= 1 && h < 4).toBe(true);
  });

  it('card cloning uses one card at two different doors within minutes', () => {
    const t = plan.truth.find((r) => r.scenario === 'card-cloning')!;
    const sent = items.filter((i) => i.truthId === t.id);
    expect(sent).toHaveLength(2);
    const cards = sent.map((i) => i.intent.events[0]!.attributes['card']);
    expect(cards[0]).toBe(cards[1]);
    expect(sent[0]!.device).not.toBe(sent[1]!.device);
    expect(t.end - t.start).toBeLessThanOrEqual(6 * 60_000);
  });

  it('an offline storm silences its devices between the drop and the reconnect', () => {
    const t = plan.truth.find((r) => r.scenario === 'offline-storm')!;
    const sent = items.filter((i) => i.truthId === t.id);
    for (const dev of t.devices) {
      const drop = sent.find((i) => i.device === dev && i.action === 'drop')!;
      const back = sent.find((i) => i.device === dev && i.action === 'connect')!;
      expect(drop.intent.events[0]!.type).toBe('offline');
      expect(back.intent.events[0]!.type).toBe('online');
      const during = items.filter((i) => i.device === dev && i.t > drop.t && i.t < back.t && !i.truthId);
      expect(during).toEqual([]);
    }
  });

  it('the plan is deterministic', () => {
    const again = planScenarios({
      city, compoundIds: ids, seed: 9, startMs, durationMs,
      scenarios: SCENARIO_NAMES.map((scenario) => ({ scenario })),
      bad: BAD_KINDS.map((bad) => ({ bad, count: bad === 'flood' ? 60 : undefined })),
    });
    expect(again).toEqual(plan);
  });
});
