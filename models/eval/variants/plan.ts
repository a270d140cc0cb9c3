import type { City } from '../../../protocol/city.ts';
import { Rng } from '../../../simulators/random.ts';
import { ScenarioContext } from '../../../simulators/scenarios/context.ts';
import type { ScenarioName, ScenarioPlan } from '../../../simulators/scenarios/types.ts';
import type { Variant } from './catalogue.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Two incidents of one compound are kept at least this far apart (where their hours allow). */
const SEPARATION_MS = 3 * HOUR;

/** Smallest distance between any two of the times (Infinity for fewer than two). */
function closestPair(times: readonly number[]): number {
  let gap = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times.length; i++) for (let j = i + 1; j < times.length; j++) gap = Math.min(gap, Math.abs(times[i]! - times[j]!));
  return gap;
}

/**
 * Place the catalogue's incidents: every variant equally often (round-robin, starting at a
 * seed-drawn offset so small runs do not always favour the first variants), `perCompoundDay`
 * per compound per scored day, at the variant's hours, two in one compound at least 3 h apart
 * (where the hours allow: the best of 50 joint draws).
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
      // The day's incidents of one compound are placed together: up to 50 draws of all their
      // hours, keeping the draw whose closest pair is farthest apart. Drawn one after the other,
      // two night-only variants often had no room left (the first at 02:00–03:12 leaves none 3 h
      // away within 00:12–05:00), and about a third of seeds had a pair closer than 3 h.
      const picks = Array.from({ length: opts.perCompoundDay }, () => {
        const v = opts.variants[k % opts.variants.length]!;
        k++;
        const id = `eval-${String(serial++).padStart(4, '0')}-${v.name}`;
        return { v, id, rng: root.fork(id) };
      });
      let best: number[] = [];
      let bestGap = -1;
      for (let tries = 0; tries < 50 && bestGap <= SEPARATION_MS; tries++) {
        const times = picks.map((p) => midnight + p.rng.uniform(p.v.hours[0], p.v.hours[1]) * HOUR);
        const gap = closestPair(times);
        if (gap > bestGap) {
          best = times;
          bestGap = gap;
        }
      }
      const others = compounds.filter((c) => c.id !== compound.id);
      picks.forEach(({ v, id, rng }, j) => {
        // The context only uses the scenario name for its truth record, which we relabel.
        const ctx = new ScenarioContext(id, v.name as ScenarioName, opts.city, compound, Math.round(best[j]!), rng, others);
        const notes = v.build(ctx);
        if (ctx.messages.length === 0) return;
        plan.messages.push(...ctx.messages);
        plan.silences.push(...ctx.silences);
        plan.truth.push({ ...ctx.truth(notes), scenario: v.name as ScenarioName });
      });
    }
  }
  plan.messages.sort((a, b) => a.at - b.at);
  return plan;
}
