import { describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { encoderFor } from '../../simulators/vendors/index.ts';
import { VARIANTS } from '../../models/eval/variants/catalogue.ts';
import { variantPlan } from '../../models/eval/variants/plan.ts';
import { DEV_SEEDS, RESERVED_SEEDS, runOf, seedsOf } from '../../models/eval/seeds.ts';

describe('evaluation variants and seeds', () => {
  const city = generateCity({ compounds: 6, seed: 1234 });
  const from = Date.parse('2027-03-01T00:00:00+08:00');

  it('every variant places an incident whose messages its devices\' vendors can encode', () => {
    const plan = variantPlan({ city, seed: 5, fromMs: from, days: 4, perCompoundDay: 1, variants: VARIANTS });
    const byName = new Set(plan.truth.map((t) => t.scenario));
    expect([...byName].sort()).toEqual(VARIANTS.map((v) => v.name).sort());
    const devices = new Map(city.compounds.flatMap((c) => c.devices.map((d) => [d.id, d])));
    for (const m of plan.messages) {
      for (const e of m.events) expect(encoderFor(devices.get(m.device)!.profile).supports.has(e.type), `${m.device} ${e.type}`).toBe(true);
    }
    expect(VARIANTS.filter((v) => v.novel).length).toBeGreaterThanOrEqual(2);
  });

  it('places incidents at the variant\'s hours and never two in one compound within 3 h', () => {
    const plan = variantPlan({ city, seed: 9, fromMs: from, days: 2, perCompoundDay: 2, variants: VARIANTS });
    const byCompound = new Map<string, number[]>();
    for (const t of plan.truth) byCompound.set(t.compound, [...(byCompound.get(t.compound) ?? []), t.start]);
    for (const starts of byCompound.values()) {
      starts.sort((a, b) => a - b);
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(2.9 * 3_600_000);
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
