/**
 * Local calendar arithmetic with a fixed UTC offset (policy.timezoneOffsetMinutes). China has no
 * daylight saving, so a fixed offset is exact there; years, quarters, months and review days are
 * local because plaques and "the next calendar year" are.
 */
import { IndexError } from '../index/errors.ts';

export const DAY_MS = 86_400_000;

export interface LocalDate {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
}

export function localDate(ms: number, offsetMinutes: number): LocalDate {
  const d = new Date(ms + offsetMinutes * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** UTC ms of local midnight starting the given local date (month may overflow: 13 → next January). */
export function localMidnight(year: number, month: number, day: number, offsetMinutes: number): number {
  return Date.UTC(year, month - 1, day) - offsetMinutes * 60_000;
}

/** Local 1 January 00:00 after the year containing `ms`. */
export function startOfNextYear(ms: number, offsetMinutes: number): number {
  return localMidnight(localDate(ms, offsetMinutes).year + 1, 1, 1, offsetMinutes);
}

export interface Period {
  /** "2026", "2026-Q4", "2026-11" */
  key: string;
  start: number;
  end: number;
}

export function periodsOf(ms: number, offsetMinutes: number): { month: Period; quarter: Period; year: Period } {
  const { year, month } = localDate(ms, offsetMinutes);
  const q = Math.floor((month - 1) / 3);
  const at = (y: number, m: number) => localMidnight(y, m, 1, offsetMinutes);
  return {
    month: { key: `${year}-${String(month).padStart(2, '0')}`, start: at(year, month), end: at(year, month + 1) },
    quarter: { key: `${year}-Q${q + 1}`, start: at(year, q * 3 + 1), end: at(year, q * 3 + 4) },
    year: { key: String(year), start: at(year, 1), end: at(year + 1, 1) },
  };
}

export interface ReviewSchedule {
  schedule: 'monthly' | 'quarterly';
  dayOfMonth: number;
  epoch: string;
}

/** Review instants r with from < r ≤ to, in order, never before the epoch. */
export function reviewTimes(s: ReviewSchedule, offsetMinutes: number, from: number, to: number): number[] {
  // The loop below walks months up to `to`: NaN or Infinity would never end it (a NaN instant hung
  // a test run for ten minutes).
  if (!Number.isFinite(to)) throw new IndexError('SS_INDEX_BAD_INPUT', `review times up to a non-finite instant (${to})`);
  const [ey, em] = s.epoch.split('-').map(Number) as [number, number];
  const step = s.schedule === 'monthly' ? 1 : 3;
  const out: number[] = [];
  // Start at the epoch month (quarterly: the quarter's first month) and step forward; the loop is
  // short (12 per year), and starting at the epoch keeps every run on the same grid.
  let y = ey;
  let m = s.schedule === 'quarterly' ? Math.floor((em - 1) / 3) * 3 + 1 : em;
  for (;;) {
    const r = localMidnight(y, m, s.dayOfMonth, offsetMinutes);
    if (r > to) break;
    if (r > from && r >= localMidnight(ey, em, 1, offsetMinutes)) out.push(r);
    m += step;
    if (m > 12) {
      m -= 12;
      y++;
    }
  }
  return out;
}

/** The last review at or before `at`, or null before the first one. */
export function lastReviewAtOrBefore(s: ReviewSchedule, offsetMinutes: number, at: number): number | null {
  const all = reviewTimes(s, offsetMinutes, -Infinity, at);
  return all.length > 0 ? (all[all.length - 1] as number) : null;
}

/**
 * The first review instant r ≥ `at` (a review exactly at `at` counts). Walks the review grid from
 * the epoch, so it is always a real review of the schedule, never a bare calendar boundary.
 */
export function firstReviewAtOrAfter(s: ReviewSchedule, offsetMinutes: number, at: number): number {
  // Reviews are at most a quarter apart: searching 100 days past `at` always finds one.
  const next = reviewTimes(s, offsetMinutes, at - 1, Math.max(at, localMidnight(...epochYm(s), 1, offsetMinutes)) + 100 * DAY_MS);
  return next[0] as number;
}

function epochYm(s: ReviewSchedule): [number, number] {
  const [y, m] = s.epoch.split('-').map(Number) as [number, number];
  return [y, m];
}
