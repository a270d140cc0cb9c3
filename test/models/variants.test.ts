import { describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { encoderFor } from '../../simulators/vendors/index.ts';
import { generateTraffic } from '../../simulators/traffic.ts';
import { VARIANTS } from '../../models/eval/variants/catalogue.ts';
import { BLIND_VARIANTS } from '../../models/eval/variants/blind.ts';
import { variantPlan } from '../../models/eval/variants/plan.ts';
import { DEV_SEEDS, RESERVED_SEEDS, runOf, seedsOf } from '../../models/eval/seeds.ts';

describe('evaluation variants and seeds', () => {
  const city = generateCity({ compounds: 6, seed: 1234 });
  const from = Date.parse('2027-03-01T00:00:00+08:00');

  it('every variant places an incident whose messages its devices\' vendors can encode', () => {
    // 6 compounds × 5 days = 30 slots ≥ the catalogue's variants, so each is placed at least once.
    const plan = variantPlan({ city, seed: 5, fromMs: from, days: 5, perCompoundDay: 1, variants: VARIANTS });
    const byName = new Set(plan.truth.map((t) => t.scenario));
    expect([...byName].sort()).toEqual(VARIANTS.map((v) => v.name).sort());
    const devices = new Map(city.compounds.flatMap((c) => c.devices.map((d) => [d.id, d])));
    for (const m of plan.messages) {
      for (const e of m.events) expect(encoderFor(devices.get(m.device)!.profile).supports.has(e.type), `${m.device} ${e.type}`).toBe(true);
    }
    expect(VARIANTS.filter((v) => v.novel).length).toBeGreaterThanOrEqual(2);
  });

  it('the blind variants are novel behaviour types built only from (kind, event type) pairs of normal traffic', () => {
    expect(BLIND_VARIANTS.map((v) => v.name).sort()).toEqual(['blind-1', 'blind-2']);
    for (const v of BLIND_VARIANTS) {
      expect(VARIANTS).toContain(v);
      expect(v).toMatchObject({ family: v.name, kind: 'behaviour', novel: true });
    }
    const kindOf = new Map(city.compounds.flatMap((c) => c.devices.map((d) => [d.id, d.kind])));
    const normal = new Set<string>();
    const ids = city.compounds.map((c) => c.id);
    for (const item of generateTraffic({ city, compoundIds: ids, seed: 11, startMs: from, durationMs: 3 * 86_400_000, heartbeats: false, states: false })) {
      for (const e of item.intent.events) normal.add(`${item.kind}:${e.type}`);
    }
    const plan = variantPlan({ city, seed: 3, fromMs: from, days: 4, perCompoundDay: 1, variants: BLIND_VARIANTS });
    expect(new Set(plan.truth.map((t) => t.scenario))).toEqual(new Set(['blind-1', 'blind-2']));
    const used = new Set(plan.messages.flatMap((m) => m.events.map((e) => `${kindOf.get(m.device)}:${e.type}`)));
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((u) => !normal.has(u))).toEqual([]);
  });

  it('places incidents at the variant\'s hours, two in one compound at least 3 h apart, on every seed', () => {
    // Two night-only variants (00:12–05:00) on one compound-day are the tight case: placed one
    // after the other, about a third of seeds had such a pair closer than 3 h.
    const byName = new Map(VARIANTS.map((v) => [v.name, v]));
    for (let seed = 1; seed <= 60; seed++) {
      const plan = variantPlan({ city, seed, fromMs: from, days: 2, perCompoundDay: 2, variants: VARIANTS });
      const byCompound = new Map<string, number[]>();
      for (const t of plan.truth) {
        byCompound.set(t.compound, [...(byCompound.get(t.compound) ?? []), t.start]);
        const [lo, hi] = byName.get(t.scenario)!.hours;
        const hour = ((t.start - from) % 86_400_000) / 3_600_000;
        // The incident's first event is at its drawn time or up to a minute or two after it.
        expect(hour, `${t.scenario} seed ${seed}`).toBeGreaterThanOrEqual(lo);
        expect(hour, `${t.scenario} seed ${seed}`).toBeLessThan(hi + 0.25);
      }
      for (const starts of byCompound.values()) {
        starts.sort((a, b) => a - b);
        for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!, `seed ${seed}`).toBeGreaterThan(2.9 * 3_600_000);
      }
    }
  });

  it('reserved, development and fresh seeds do not overlap; runs alternate city sizes and months', () => {
    const reserved = seedsOf('reserved', 5);
    const dev = seedsOf('dev', 5);
    const fresh = seedsOf('fresh', 5);
    expect(reserved.every((s) => s > RESERVED_SEEDS.from && s <= RESERVED_SEEDS.to)).toBe(true);
    expect(dev.every((s) => s > DEV_SEEDS.from && s <= DEV_SEEDS.to)).toBe(true);
    expect(fresh.every((s) => s > RESERVED_SEEDS.to)).toBe(true);
    const runs = reserved.map((s, i) => runOf(s, i));
    expect(new Set(runs.map((r) => r.compounds)).size).toBe(2);
    expect(new Set(runs.map((r) => r.start.slice(0, 7))).size).toBe(5);
  });
});
