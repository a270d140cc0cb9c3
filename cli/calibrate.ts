import type { City } from '../protocol/city.ts';
import type { Policy } from '../hub/policy/policy-schema.ts';
import type { Evaluation } from '../hub/index/types.ts';
import { evaluate } from '../hub/index/engine.ts';
import { INITIAL_RATING_STATE, publishedStars, reviewStep, type RatingState } from '../hub/index/rating.ts';
import { settledBefore } from '../hub/index/drops.ts';
import { localMidnight, reviewTimes } from '../hub/policy/time.ts';
import { calibrateReview, offsetOf, type ReviewOffsets } from '../hub/index/calibration.ts';
import { localMonth } from '../hub/index/explain.ts';
import { generateCaseHistories, FIRST_LIST_AT, type CompoundHistory } from '../simulators/cases/generate.ts';

/**
 * Calibration (issues 6 and 11): rate a simulated city with a policy and compare with Xiamen's
 * list: 31.9 % five-star, every district above 25 %, a bottom 10 driven by fraud and disputes.
 * `calibrate` rates one instant (the data alone, what a first list publishes); `replayYear` runs
 * the hub's own review fold month by month and measures the PUBLISHED plaques, which is what the
 * 31.9 % must hold for.
 */
export interface CalibrationReport {
  compounds: number;
  /** Compounds left out of the shares as unrated (not enough data). */
  unrated: number;
  fiveStarShare: number;
  districts: Record<string, { compounds: number; fiveStarShare: number; stars: number[] }>;
  /** Count per star level 0..5, city-wide (rated compounds). */
  stars: number[];
  bottom: { compound: string; district: string; index: number; stars: number; drivers: { theme: string; loss: number }[] }[];
  /** Share of the bottom list whose largest driver is one of `BOTTOM_THEMES`. */
  bottomFraudOrDispute: number;
}

/** DOMAIN.md: the 10 lowest were driven by telecom fraud, family and property-management disputes. */
export const BOTTOM_THEMES: ReadonlySet<string> = new Set(['fraud', 'dispute']);

interface Rated {
  ev: Evaluation;
  stars: number | null;
}

export function calibrationReport(rated: readonly Rated[], bottomN = 10): CalibrationReport {
  const stars = [0, 0, 0, 0, 0, 0];
  const districts: CalibrationReport['districts'] = {};
  let unrated = 0;
  for (const { ev, stars: s } of rated) {
    if (s === null) {
      unrated++;
      continue;
    }
    stars[s] = (stars[s] ?? 0) + 1;
    const d = (districts[ev.district] ??= { compounds: 0, fiveStarShare: 0, stars: [0, 0, 0, 0, 0, 0] });
    d.compounds++;
    d.stars[s] = (d.stars[s] ?? 0) + 1;
  }
  for (const d of Object.values(districts)) d.fiveStarShare = (d.stars[5] ?? 0) / d.compounds;
  const n = rated.length - unrated;
  const bottom = rated
    .filter((r): r is { ev: Evaluation; stars: number } => r.stars !== null)
    .sort((a, b) => a.ev.index - b.ev.index || (a.ev.compound < b.ev.compound ? -1 : 1))
    .slice(0, bottomN)
    .map(({ ev, stars: s }) => ({ compound: ev.compound, district: ev.district, index: ev.index, stars: s, drivers: ev.themes.slice(0, 3) }));
  const driven = bottom.filter((b) => BOTTOM_THEMES.has(b.drivers[0]?.theme ?? '')).length;
  return {
    compounds: rated.length,
    unrated,
    fiveStarShare: n ? (stars[5] ?? 0) / n : 0,
    districts: Object.fromEntries(Object.entries(districts).sort(([a], [b]) => (a < b ? -1 : 1))),
    stars,
    bottom,
    bottomFraudOrDispute: bottom.length ? driven / bottom.length : 0,
  };
}

const inputOf = (h: CompoundHistory) => ({ compound: h.compound, cases: h.cases, alarms: h.alarms, onlineRate: h.onlineRate, survey: h.survey });

/** Draw case histories for the city and rate every compound at `at` (pure: first-list stars). */
export function calibrate(policy: Policy, city: City, opts: { seed: number; at?: number }): CalibrationReport {
  const at = opts.at ?? FIRST_LIST_AT;
  const histories = generateCaseHistories(city, { seed: opts.seed, at });
  return calibrationReport(
    histories.map((h) => {
      const ev = evaluate(policy, { ...inputOf(h), at });
      return { ev, stars: ev.rated ? ev.stars : null };
    }),
  );
}

export interface PublishedMonth {
  month: string;
  fiveStarShare: number;
  minDistrict: number;
  districts: Record<string, number>;
}

export interface YearReport {
  /** The published plaques after the last review. */
  last: CalibrationReport;
  published: PublishedMonth[];
  /** The city calibration of each review (offsets in points). */
  calibrations: ReviewOffsets[];
}

/**
 * A year (or `months`) of cases with monthly reviews, exactly as the hub folds them (settledBefore,
 * reviewStep, publishedStars): cases arrive when registered, each review moves levels with hysteresis, and the
 * plaques are read right after each review and in the middle of each month (both must hold).
 */
export function replayYear(policy: Policy, city: City, opts: { seed: number; months: number; midMonth?: boolean }): YearReport {
  const tz = policy.timezoneOffsetMinutes;
  const [ey, em] = policy.review.epoch.split('-').map(Number) as [number, number];
  const start = localMidnight(ey, em, 1, tz);
  const end = localMidnight(ey, em + opts.months, 1, tz) - 1;
  // One history ending at the last day, long enough that the first review already sees a full window.
  const days = Math.ceil((end - start) / 86_400_000) + policy.window.days + 40;
  const histories = generateCaseHistories(city, { seed: opts.seed, at: end, days });
  const reviews = reviewTimes(policy.review, tz, start - 1, end);
  const states: RatingState[] = histories.map(() => INITIAL_RATING_STATE);
  const published: PublishedMonth[] = [];
  const calibrations: ReviewOffsets[] = [];
  let last: Rated[] = [];
  for (const t of reviews) {
    const mid = t + 14 * 86_400_000;
    const atReview: Rated[] = [];
    const atMid: Rated[] = [];
    // The review first calibrates on the whole city (as the hub does), then steps each compound.
    const evs = histories.map((h) => evaluate(policy, { ...inputOf(h), at: t }));
    // Falls since the last review hold until this one (drops.ts), as in the hub.
    histories.forEach((h, i) => (states[i] = settledBefore(policy, states[i] as RatingState, inputOf(h), t)));
    const offsets = calibrateReview(policy, t, evs.map((ev, i) => ({ district: ev.district, state: states[i] as RatingState, ev })));
    calibrations.push(offsets);
    histories.forEach((h, i) => {
      const ev = evs[i] as Evaluation;
      const s = reviewStep(policy, states[i] as RatingState, ev, offsetOf(offsets, ev.district));
      states[i] = s;
      atReview.push({ ev, stars: publishedStars(policy, s, ev) });
      if (opts.midMonth !== false && mid <= end) {
        const evMid = evaluate(policy, { ...inputOf(h), at: mid });
        atMid.push({ ev: evMid, stars: publishedStars(policy, settledBefore(policy, s, inputOf(h), mid), evMid) });
      }
    });
    for (const [rated, at] of [[atReview, t], [atMid, mid]] as const) {
      if (rated.length === 0) continue;
      const r = calibrationReport(rated);
      const shares = Object.fromEntries(Object.entries(r.districts).map(([id, d]) => [id, round4(d.fiveStarShare)]));
      published.push({ month: localMonth(policy, at) + (at === t ? '' : '-15'), fiveStarShare: round4(r.fiveStarShare), minDistrict: Math.min(...Object.values(shares)), districts: shares });
    }
    last = atReview;
  }
  return { last: calibrationReport(last), published, calibrations };
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** Human-readable report, ending with the one JSON line the issue asks for. */
export function formatCalibration(r: CalibrationReport, published?: readonly PublishedMonth[], calibrations?: readonly ReviewOffsets[]): string {
  const lines: string[] = [];
  lines.push(`compounds: ${r.compounds} (unrated ${r.unrated})   five-star: ${pct(r.fiveStarShare)}   stars 0..5: ${r.stars.join(' / ')}`);
  lines.push('district        n    5★ share   stars 0/1/2/3/4/5');
  for (const [id, d] of Object.entries(r.districts)) {
    lines.push(`${id.padEnd(12)} ${String(d.compounds).padStart(5)}   ${pct(d.fiveStarShare).padStart(7)}   ${d.stars.join('/')}`);
  }
  lines.push(`bottom ${r.bottom.length} (largest driver fraud or dispute: ${pct(r.bottomFraudOrDispute)}):`);
  for (const b of r.bottom) {
    const drivers = b.drivers.map((d) => `${d.theme} −${d.loss.toFixed(1)}`).join(', ');
    lines.push(`  ${b.compound.padEnd(8)} ${b.district.padEnd(10)} index ${b.index.toFixed(2).padStart(6)}  ${b.stars}★  ${drivers}`);
  }
  if (published) {
    lines.push('published plaques   5★ share   lowest district   review offset (points; lifted districts)');
    let k = 0;
    for (const m of published) {
      const c = m.month.length === 7 ? calibrations?.[k++] : undefined;
      const off = c ? `   ${c.city >= 0 ? '+' : ''}${c.city.toFixed(2)}${Object.entries(c.districts).map(([d, x]) => `; ${d} +${x.toFixed(2)}`).join('')}` : '';
      lines.push(`  ${m.month.padEnd(10)}        ${pct(m.fiveStarShare).padStart(7)}    ${pct(m.minDistrict).padStart(7)}${off}`);
    }
  }
  const shares = Object.fromEntries(Object.entries(r.districts).map(([id, d]) => [id, round4(d.fiveStarShare)]));
  lines.push(
    JSON.stringify({
      fiveStarShare: round4(r.fiveStarShare),
      districts: shares,
      ...(published ? { published: published.filter((m) => m.month.length === 7).map(({ month, fiveStarShare, minDistrict }) => ({ month, fiveStarShare, minDistrict })) } : {}),
    }),
  );
  return lines.join('\n');
}
