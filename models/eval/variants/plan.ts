import type { City } from '../../../protocol/city.ts';
import { Rng } from '../../../simulators/random.ts';
import { ScenarioContext } from '../../../simulators/scenarios/context.ts';
import type { ScenarioName, ScenarioPlan } from '../../../simulators/scenarios/types.ts';
import type { Variant } from './catalogue.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * Place the catalogue's incidents: every variant equally often (round-robin, starting at a
 * seed-drawn offset so small runs do not always favour the first variants), `perCompoundDay`
 * per compound per scored day, never two in one compound within 3 h, at the variant's hours.
 * Truth records carry the variant name as their scenario.
 */
export function variantPlan(opts: {
  city: City;
  seed: number;
  fromMs: number;
  days: number;
  perCompoundDay: number;
  variants: readonly Variant[];
}): ScenarioPlan {
  const root = new Rng(opts.seed);
  const plan: ScenarioPlan = { truth: [], messages: [], silences: [] };
  const compounds = opts.city.compounds;
  let k = root.int(0, opts.variants.length - 1);
  let serial = 0;
  for (let day = 0; day < opts.days; day++) {
    const midnight = opts.fromMs + day * DAY;
    for (const compound of compounds) {
      const slots: number[] = [];
      for (let j = 0; j < opts.perCompoundDay; j++) {
        const v = opts.variants[k % opts.variants.length]!;
        k++;
        const id = `eval-${String(serial++).padStart(4, '0')}-${v.name}`;
        const rng = root.fork(id);
        let at = 0;
        for (let tries = 0; tries < 50; tries++) {
          at = midnight + rng.uniform(v.hours[0], v.hours[1]) * HOUR;
          if (slots.every((s) => Math.abs(s - at) > 3 * HOUR)) break;
        }
        slots.push(at);
        const others = compounds.filter((c) => c.id !== compound.id);
        // The context only uses the scenario name for its truth record, which we relabel.
        const ctx = new ScenarioContext(id, v.name as ScenarioName, opts.city, compound, Math.round(at), rng, others);
        const notes = v.build(ctx);
        if (ctx.messages.length === 0) continue;
        plan.messages.push(...ctx.messages);
        plan.silences.push(...ctx.silences);
        plan.truth.push({ ...ctx.truth(notes), scenario: v.name as ScenarioName });
      }
    }
  }
  plan.messages.sort((a, b) => a.at - b.at);
  return plan;
}
