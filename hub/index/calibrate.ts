import type { City } from '../../protocol/city.ts';
import type { Policy } from './policy-schema.ts';
import type { Evaluation } from './types.ts';
import { evaluate } from './engine.ts';
import { generateCaseHistories, FIRST_LIST_AT } from '../../simulators/cases/generate.ts';

/**
 * Calibration (issue 6): rate a simulated city with a policy and compare with Xiamen's first
 * list: 31.9 % five-star, every district above 25 %, a bottom 10 driven by fraud and disputes.
 */
export interface CalibrationReport {
  compounds: number;
  fiveStarShare: number;
  districts: Record<string, { compounds: number; fiveStarShare: number; stars: number[] }>;
  /** Count per star level 0..5, city-wide. */
  stars: number[];
  bottom: { compound: string; district: string; index: number; stars: number; drivers: { theme: string; loss: number }[] }[];
  /** Share of the bottom list whose largest driver is one of `BOTTOM_THEMES`. */
  bottomFraudOrDispute: number;
}

/** DOMAIN.md: the 10 lowest were driven by telecom fraud, family and property-management disputes. */
export const BOTTOM_THEMES: ReadonlySet<string> = new Set(['fraud', 'dispute']);

export function calibrationReport(evaluations: readonly Evaluation[], bottomN = 10): CalibrationReport {
  const stars = [0, 0, 0, 0, 0, 0];
  const districts: CalibrationReport['districts'] = {};
  for (const ev of evaluations) {
    stars[ev.stars] = (stars[ev.stars] ?? 0) + 1;
    const d = (districts[ev.district] ??= { compounds: 0, fiveStarShare: 0, stars: [0, 0, 0, 0, 0, 0] });
    d.compounds++;
    d.stars[ev.stars] = (d.stars[ev.stars] ?? 0) + 1;
  }
  for (const d of Object.values(districts)) d.fiveStarShare = (d.stars[5] ?? 0) / d.compounds;
  const bottom = [...evaluations]
    .sort((a, b) => a.index - b.index || (a.compound < b.compound ? -1 : 1))
    .slice(0, bottomN)
    .map((ev) => ({ compound: ev.compound, district: ev.district, index: ev.index, stars: ev.stars, drivers: ev.themes.slice(0, 3) }));
  const driven = bottom.filter((b) => BOTTOM_THEMES.has(b.drivers[0]?.theme ?? '')).length;
  return {
    compounds: evaluations.length,
    fiveStarShare: evaluations.length ? (stars[5] ?? 0) / evaluations.length : 0,
    districts: Object.fromEntries(Object.entries(districts).sort(([a], [b]) => (a < b ? -1 : 1))),
    stars,
    bottom,
    bottomFraudOrDispute: bottom.length ? driven / bottom.length : 0,
  };
}

/** Draw case histories for the city and rate every compound at `at` (pure: first-list stars). */
export function calibrate(policy: Policy, city: City, opts: { seed: number; at?: number }): CalibrationReport {
  const at = opts.at ?? FIRST_LIST_AT;
  const histories = generateCaseHistories(city, { seed: opts.seed, at });
  const evaluations = histories.map((h) =>
    evaluate(policy, { compound: h.compound, cases: h.cases, alarms: h.alarms, onlineRate: h.onlineRate, survey: h.survey, at }),
  );
  return calibrationReport(evaluations);
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** Human-readable report, ending with the one JSON line the issue asks for. */
export function formatCalibration(r: CalibrationReport): string {
  const lines: string[] = [];
  lines.push(`compounds: ${r.compounds}   five-star: ${pct(r.fiveStarShare)}   stars 0..5: ${r.stars.join(' / ')}`);
  lines.push('district        n    5★ share   stars 0/1/2/3/4/5');
  for (const [id, d] of Object.entries(r.districts)) {
    lines.push(`${id.padEnd(12)} ${String(d.compounds).padStart(5)}   ${pct(d.fiveStarShare).padStart(7)}   ${d.stars.join('/')}`);
  }
  lines.push(`bottom ${r.bottom.length} (largest driver fraud or dispute: ${pct(r.bottomFraudOrDispute)}):`);
  for (const b of r.bottom) {
    const drivers = b.drivers.map((d) => `${d.theme} −${d.loss.toFixed(1)}`).join(', ');
    lines.push(`  ${b.compound.padEnd(8)} ${b.district.padEnd(10)} index ${b.index.toFixed(2).padStart(6)}  ${b.stars}★  ${drivers}`);
  }
  const shares = Object.fromEntries(Object.entries(r.districts).map(([id, d]) => [id, Math.round(d.fiveStarShare * 10_000) / 10_000]));
  lines.push(JSON.stringify({ fiveStarShare: Math.round(r.fiveStarShare * 10_000) / 10_000, districts: shares }));
  return lines.join('\n');
}
