import type { CompoundRating } from '../rating/types.ts';
import { defaultPolicy } from '../index/policy.ts';
import { DOWNGRADE_LABELS, SUBSCORE_LABELS, THEME_LABELS, categoryLabel, scoreWords } from './labels.ts';

/**
 * What a public page may show about a compound. Built by whitelisting from the rating's detail:
 * case ids, departments, device ids and exact times never leave this function (DOMAIN.md: no
 * personal identifier on a public page; a case is shown by category and month only).
 */
export interface PublicCompound {
  id: string;
  name: string;
  district: string;
  households: number;
  /** null: unrated (not enough data). */
  stars: number | null;
  rated: boolean;
  index: number;
  /** The stars in words, at month precision. */
  reason: string;
  /** Month of the last update ("2026-11"): public data never carries exact times. */
  updatedMonth: string;
  subScores: { key: string; label: string; score: number | null; words: string }[];
  streaks: {
    daysSinceLastIncident: number | null;
    month: { period: string; zeroAlerts: boolean; zeroPreventable: boolean } | null;
    year: { period: string; zeroAlerts: boolean; zeroPreventable: boolean } | null;
  };
  veto: { category: string; label: string; month: string; untilMonth: string | null } | null;
  downgrades: { rule: string; label: string; stars: number; untilMonth: string | null; cases: { category: string; label: string; month: string }[] }[];
  /** Main reasons the index is below 100, largest first (theme, index points lost). */
  drivers: { theme: string; label: string; points: number }[];
  /** Device alarms waiting for an operator: shown, never scored. A count, no device ids. */
  unconfirmedAlarms: number;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** The city's clock (the policy's zone): a case late on 31 December belongs to that year locally. */
const TZ_MS = defaultPolicy().timezoneOffsetMinutes * 60_000;
/** "2026-11" as it came, or an ISO time → "2026-11" in the city's zone: a month says when without pointing at a person. */
const month = (v: unknown): string | null => {
  if (typeof v === 'string' && /^\d{4}-\d{2}$/.test(v)) return v;
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isFinite(t) ? new Date(t + TZ_MS).toISOString().slice(0, 7) : null;
};
const round1 = (n: number): number => Math.round(n * 10) / 10;

function streakFlags(v: unknown): PublicCompound['streaks']['month'] {
  const o = obj(v);
  if (!o || typeof o['period'] !== 'string') return null;
  return { period: o['period'], zeroAlerts: o['zeroAlerts'] === true, zeroPreventable: o['zeroPreventable'] === true };
}

export function publicView(r: CompoundRating): PublicCompound {
  const d = obj(r.detail) ?? {};
  const subScores = Object.entries(obj(d['subScores']) ?? {}).map(([key, v]) => {
    const score = num(obj(v)?.['score']);
    return { key, label: SUBSCORE_LABELS[key] ?? key, score: score === null ? null : round1(score), words: scoreWords(score) };
  });
  const vetoObj = obj(d['veto']);
  const vetoCategory = str(vetoObj?.['category']);
  const veto = vetoObj && vetoCategory
    ? { category: vetoCategory, label: categoryLabel(vetoCategory), month: month(vetoObj['sinceMonth']) ?? month(vetoObj['since']) ?? '', untilMonth: month(vetoObj['untilMonth']) ?? month(vetoObj['until']) }
    : null;
  const downgrades = arr(d['downgrades']).flatMap((g) => {
    const o = obj(g);
    const rule = str(o?.['rule']);
    if (!o || !rule) return [];
    const cases = arr(o['cases']).flatMap((c) => {
      const co = obj(c);
      const category = str(co?.['category']);
      return category ? [{ category, label: categoryLabel(category), month: month(co?.['month']) ?? month(co?.['occurredAt']) ?? '' }] : [];
    });
    return [{ rule, label: DOWNGRADE_LABELS[rule] ?? rule, stars: num(o['stars']) ?? 0, untilMonth: month(o['untilMonth']) ?? month(o['until']), cases }];
  });
  const drivers = arr(d['themes']).flatMap((t) => {
    const o = obj(t);
    const theme = str(o?.['theme']);
    const loss = num(o?.['loss']);
    return theme && loss !== null && loss >= 0.05 ? [{ theme, label: THEME_LABELS[theme] ?? theme, points: round1(loss) }] : [];
  });
  const streaks = obj(d['streaks']) ?? {};
  return {
    id: r.id,
    name: r.name,
    district: r.district,
    households: r.households,
    stars: r.stars,
    rated: r.stars !== null,
    index: r.index,
    reason: str(d['reason']) ?? '',
    updatedMonth: month(r.updatedAt) ?? '',
    subScores,
    streaks: { daysSinceLastIncident: num(streaks['daysSinceLastIncident']), month: streakFlags(streaks['month']), year: streakFlags(streaks['year']) },
    veto,
    downgrades,
    drivers: drivers.slice(0, 5),
    unconfirmedAlarms: num(d['unconfirmedAlarms']) ?? arr(d['unconfirmedAlarms']).length,
  };
}

/** One line per reason a compound is rated low, for the map's "lowest rated" list. */
export function driverWords(p: PublicCompound): string[] {
  const out: string[] = [];
  if (!p.rated) out.push('暂无评级 unrated: not enough data');
  if (p.veto) out.push(`一票否决 veto: ${p.veto.label} (${p.veto.month})`);
  for (const g of p.downgrades) out.push(`降星 −${g.stars}★: ${g.label}`);
  for (const t of p.drivers.slice(0, 3)) out.push(`${t.label} −${t.points}`);
  return out;
}
