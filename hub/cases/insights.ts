import type { Policy } from '../policy/policy-schema.ts';
import { localDate, localMidnight } from '../policy/time.ts';

/**
 * 共性问题: common problems per district over time, as a basis for city notices and rectification.
 * Case categories (counting statuses) and device alarm types (not dismissed) are counted per
 * district and local month; a problem is **rising** when the last `recentMonths` months hold at
 * least `minCount` of them and at least `ratio` times the monthly rate of the months before.
 * Pure (rows in, report out); counts only, no case id, compound or time: safe to publish.
 */
export interface InsightRow {
  district: string;
  /** 'case' (a department's category) or 'alarm' (a device alarm type). */
  source: 'case' | 'alarm';
  kind: string;
  at: number;
}

export interface InsightOptions {
  months: number;
  recentMonths: number;
  ratio: number;
  minCount: number;
}

/** Six months of history, the last two against the four before; rising = 1.5× and at least 3. */
export const INSIGHT_DEFAULTS: InsightOptions = { months: 6, recentMonths: 2, ratio: 1.5, minCount: 3 };

export interface Problem {
  source: 'case' | 'alarm';
  kind: string;
  label: string;
  /** Count per month, oldest first (aligned with `months`). */
  counts: number[];
  total: number;
  rising: boolean;
  /** Monthly rate of the recent months over the months before (null: none before). */
  trend: number | null;
}

export interface Insights {
  months: string[];
  districts: { id: string; problems: Problem[] }[];
  /** City-wide rising problems, largest recent count first: ready to cite in a notice. */
  rising: { district: string; source: 'case' | 'alarm'; kind: string; label: string; recent: number; trend: number | null }[];
}

/** Local month keys ending with the month of `now`, oldest first. */
export function monthKeys(policy: Policy, now: number, n: number): { keys: string[]; start: number } {
  const tz = policy.timezoneOffsetMinutes;
  const { year, month } = localDate(now, tz);
  const keys: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const d = localDate(localMidnight(year, month - i, 1, tz), tz);
    keys.push(`${d.year}-${String(d.month).padStart(2, '0')}`);
  }
  return { keys, start: localMidnight(year, month - (n - 1), 1, tz) };
}

export function insights(policy: Policy, rows: readonly InsightRow[], now: number, o: InsightOptions = INSIGHT_DEFAULTS): Insights {
  const { keys } = monthKeys(policy, now, o.months);
  const index = new Map(keys.map((k, i) => [k, i]));
  const byDistrict = new Map<string, Map<string, { source: 'case' | 'alarm'; kind: string; counts: number[] }>>();
  for (const r of rows) {
    const d = localDate(r.at, policy.timezoneOffsetMinutes);
    const i = index.get(`${d.year}-${String(d.month).padStart(2, '0')}`);
    if (i === undefined) continue;
    let m = byDistrict.get(r.district);
    if (!m) byDistrict.set(r.district, (m = new Map()));
    const key = `${r.source}:${r.kind}`;
    let p = m.get(key);
    if (!p) m.set(key, (p = { source: r.source, kind: r.kind, counts: keys.map(() => 0) }));
    p.counts[i] = (p.counts[i] ?? 0) + 1;
  }
  const label = (p: { source: string; kind: string }) => (p.source === 'case' ? (policy.categories[p.kind]?.label ?? p.kind) : `报警 alarm: ${p.kind}`);
  const districts = [...byDistrict].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, m]) => ({
    id,
    problems: [...m.values()]
      .map((p): Problem => {
        const recent = p.counts.slice(-o.recentMonths).reduce((a, b) => a + b, 0);
        const before = p.counts.slice(0, -o.recentMonths).reduce((a, b) => a + b, 0);
        const beforeMonths = o.months - o.recentMonths;
        const trend = before === 0 ? null : recent / o.recentMonths / (before / beforeMonths);
        const rising = recent >= o.minCount && (trend === null || trend >= o.ratio);
        return { source: p.source, kind: p.kind, label: label(p), counts: p.counts, total: p.counts.reduce((a, b) => a + b, 0), rising, trend: trend === null ? null : Math.round(trend * 100) / 100 };
      })
      .sort((a, b) => b.total - a.total || (a.kind < b.kind ? -1 : 1)),
  }));
  const rising = districts
    .flatMap((d) => d.problems.filter((p) => p.rising).map((p) => ({ district: d.id, source: p.source, kind: p.kind, label: p.label, recent: p.counts.slice(-o.recentMonths).reduce((a, b) => a + b, 0), trend: p.trend })))
    .sort((a, b) => b.recent - a.recent || (a.district < b.district ? -1 : 1));
  return { months: keys, districts, rising };
}
