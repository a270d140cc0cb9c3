import type { City, CityCompound } from '../../protocol/city.ts';
import { compoundOf } from '../city.ts';
import { localClock } from '../devices/rhythm.ts';
import { Rng } from '../random.ts';
import { planBad } from './bad-traffic.ts';
import { ScenarioContext } from './context.ts';
import { INCIDENTS, NIGHT_SCENARIOS } from './incidents.ts';
import type { BadSpec, ScenarioPlan, ScenarioSpec } from './types.ts';

export interface PlanOptions {
  city: City;
  compoundIds: readonly string[];
  seed: number;
  startMs: number;
  durationMs: number;
  scenarios?: readonly ScenarioSpec[];
  bad?: readonly BadSpec[];
  tzOffsetMinutes?: number;
  /**
   * Play incidents faster than life: offsets inside an incident are divided by `speed`
   * (a 30-minute burglary at speed 60 takes 30 s). Default 1.
   */
  speed?: number;
}

function compress<T extends { at: number }>(items: T[], at: number, speed: number): void {
  if (speed === 1) return;
  for (const m of items) m.at = Math.round(at + (m.at - at) / speed);
}

/** A time for an unscheduled incident: night hours (01–04 local) for night scenarios when the window has any. */
function drawTime(rng: Rng, o: PlanOptions, night: boolean): number {
  // Leave room at the end for the incident's own follow-ups (up to ~40 min for a burglary).
  const lo = o.startMs + Math.min(o.durationMs * 0.05, 60_000);
  const hi = o.startMs + Math.max(o.durationMs * 0.6, 1);
  if (night) {
    const nights: number[] = [];
    for (let t = lo; t < hi; t += 600_000) {
      const h = localClock(t, o.tzOffsetMinutes ?? 480).hour;
      if (h >= 1 && h < 4) nights.push(t);
    }
    if (nights.length > 0) return rng.pick(nights) + Math.floor(rng.uniform(0, 600_000));
  }
  return Math.floor(rng.uniform(lo, hi));
}

/**
 * Place the requested incidents and bad traffic. Deterministic in (seed, options); every message
 * carries its truth id, and the truth list is what `--truth FILE` writes.
 */
export function planScenarios(o: PlanOptions): ScenarioPlan {
  const root = new Rng(o.seed).fork('scenarios');
  const compounds: CityCompound[] = o.compoundIds.map((id) => compoundOf(o.city, id));
  const plan: ScenarioPlan = { truth: [], messages: [], silences: [] };
  (o.scenarios ?? []).forEach((spec, i) => {
    const rng = root.fork(`incident:${i}:${spec.scenario}`);
    const compound = spec.compound ? compoundOf(o.city, spec.compound) : rng.pick(compounds);
    const at = spec.at ?? (spec.afterMs !== undefined ? o.startMs + spec.afterMs : drawTime(rng, o, NIGHT_SCENARIOS.has(spec.scenario)));
    const id = `${spec.scenario}-${compound.id}-${i + 1}`;
    const ctx = new ScenarioContext(id, spec.scenario, o.city, compound, at, rng, compounds.filter((c) => c.id !== compound.id));
    const notes = INCIDENTS[spec.scenario](ctx);
    const speed = o.speed ?? 1;
    compress(ctx.messages, at, speed);
    for (const sl of ctx.silences) {
      sl.from = Math.round(at + (sl.from - at) / speed);
      sl.to = Math.round(at + (sl.to - at) / speed);
    }
    plan.truth.push(ctx.truth(notes));
    plan.messages.push(...ctx.messages);
    plan.silences.push(...ctx.silences);
  });
  (o.bad ?? []).forEach((spec, i) => {
    const rng = root.fork(`bad:${i}:${spec.bad}`);
    const compound = spec.compound ? compoundOf(o.city, spec.compound) : rng.pick(compounds);
    const at = spec.at ?? (spec.afterMs !== undefined ? o.startMs + spec.afterMs : drawTime(rng, o, false));
    const r = planBad({ id: `bad-${spec.bad}-${compound.id}-${i + 1}`, bad: spec.bad, compound, at, rng, ...(spec.count !== undefined ? { count: spec.count } : {}) });
    plan.truth.push(r.truth);
    plan.messages.push(...r.messages);
  });
  plan.truth.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
  return plan;
}
