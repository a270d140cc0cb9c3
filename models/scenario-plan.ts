import type { City } from '../protocol/city.ts';
import { Rng } from '../simulators/random.ts';
import { ScenarioContext } from '../simulators/scenarios/context.ts';
import { INCIDENTS, NIGHT_SCENARIOS } from '../simulators/scenarios/incidents.ts';
import { SCENARIO_NAMES, type ScenarioName, type ScenarioPlan } from '../simulators/scenarios/types.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * The evaluation's incidents: the simulators' own scenario scripts (simulators/scenarios), placed
 * by us so the test set is balanced — every scenario type equally often, round-robin over the
 * compounds, `perCompoundDay` per compound per scored day, never two in one compound within 3 h.
 * Night scenarios fall between 00:00 and 05:00 local, the rest anywhere in the day.
 */
export function evaluationPlan(opts: {
  city: City;
  seed: number;
  /** First scored local midnight (epoch ms) and number of scored days. */
  fromMs: number;
  days: number;
  perCompoundDay: number;
  scenarios?: readonly ScenarioName[];
}): ScenarioPlan {
  const names = opts.scenarios ?? SCENARIO_NAMES;
  const root = new Rng(opts.seed);
  const plan: ScenarioPlan = { truth: [], messages: [], silences: [] };
  const compounds = opts.city.compounds;
  let k = 0;
  for (let day = 0; day < opts.days; day++) {
    const midnight = opts.fromMs + day * DAY;
    for (let ci = 0; ci < compounds.length; ci++) {
      const compound = compounds[ci]!;
      const slots: number[] = [];
      for (let j = 0; j < opts.perCompoundDay; j++) {
        const scenario = names[k % names.length]!;
        const id = `eval-${String(k).padStart(4, '0')}-${scenario}`;
        k++;
        const rng = root.fork(id);
        let at = 0;
        for (let tries = 0; tries < 50; tries++) {
          // `midnight` is a local (+08:00) midnight, so offsets are local hours.
          at = NIGHT_SCENARIOS.has(scenario) ? midnight + rng.uniform(0.2, 5) * HOUR : midnight + rng.uniform(0.5, 22) * HOUR;
          if (slots.every((s) => Math.abs(s - at) > 3 * HOUR)) break;
        }
        slots.push(at);
        const others = compounds.filter((c) => c.id !== compound.id);
        const ctx = new ScenarioContext(id, scenario, opts.city, compound, Math.round(at), rng, others);
        const notes = INCIDENTS[scenario](ctx);
        plan.messages.push(...ctx.messages);
        plan.silences.push(...ctx.silences);
        plan.truth.push(ctx.truth(notes));
      }
    }
  }
  plan.messages.sort((a, b) => a.at - b.at);
  return plan;
}
