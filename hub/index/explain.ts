import type { Policy } from '../policy/policy-schema.ts';
import type { RatingState } from './rating.ts';
import type { CaseRecord, Evaluation } from './types.ts';
import { localDate } from '../policy/time.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const r4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** "2026-11" in the policy's zone: a month says when without pointing at a person or a case. */
export function localMonth(policy: Policy, ms: number): string {
  const d = localDate(ms, policy.timezoneOffsetMinutes);
  return `${d.year}-${String(d.month).padStart(2, '0')}`;
}

export interface Signals {
  onlineRate: number | null;
  survey: number | null;
}

/** The stars in words, at month precision: what the plaque page and public JSON say. */
export function reasonWords(policy: Policy, ev: Evaluation, published: number | null, state: RatingState): string {
  if (published === null) return 'unrated: no survey, no device heard and no case in the last year — not enough data to rate (暂无评级)';
  const label = (c: string) => policy.categories[c]?.label ?? c;
  const parts: string[] = [];
  if (ev.veto) {
    parts.push(`0★: one-vote veto (一票否决) for a ${label(ev.veto.category)} case known in ${localMonth(policy, ev.veto.since)}; the plaque can be rated again at the review of ${localMonth(policy, ev.veto.until)}`);
  }
  const base = published + (ev.veto ? 0 : ev.downgradeStars);
  const reviewMonth = state.lastReviewAt === null ? '—' : localMonth(policy, state.lastReviewAt);
  const held = state.droppedFrom !== undefined
    ? `, down at once from the ${state.droppedFrom}★ of the review of ${reviewMonth}: the index fell more than ${policy.review.immediateDropPoints} points below that band since, and only a review lifts it again`
    : state.reviewStars !== null && state.reviewStars !== ev.bandStars ? `, level held by the review of ${reviewMonth}` : '';
  if (!ev.veto) parts.push(`${Math.min(5, base)}★ from the index (${ev.baseIndex.toFixed(1)} without the downgrade cases)${held}`);
  for (const d of ev.downgrades) parts.push(`−${d.stars}★ ${d.rule} (降星) until ${localMonth(policy, d.until)}`);
  if (ev.downgradeStars > 0 && !ev.veto && published === policy.downgrades.floorStars) parts.push(`never below ${policy.downgrades.floorStars}★ without a veto`);
  if (!ev.gates.onlineRate) parts.push('5★ needs devices ≥ 95 % online');
  return parts.join('; ');
}

/**
 * The public explanation (GET /api/compounds/:id → detail, the plaque page): stars, index,
 * sub-scores and the reason in words. Cases appear as category and month only; no case id,
 * department, device id or exact time.
 */
export function explainPublic(policy: Policy, ev: Evaluation, published: number | null, state: RatingState, cases: readonly CaseRecord[]) {
  const month = (ms: number) => localMonth(policy, ms);
  const byId = new Map(cases.map((c) => [c.id, c]));
  const caseWords = (ids: readonly string[]) =>
    ids.flatMap((id) => {
      const c = byId.get(id);
      return c ? [{ category: c.category, month: month(c.occurredAt) }] : [];
    });
  return {
    engine: 'safety-index',
    policyVersion: ev.policyVersion,
    rated: published !== null,
    stars: published,
    reason: reasonWords(policy, ev, published, state),
    index: ev.index,
    baseIndex: ev.baseIndex,
    bandStars: ev.bandStars,
    reviewStars: state.reviewStars,
    /** The level the last review set, when a fall since took the plaque down at once (drops.ts). */
    droppedFrom: state.droppedFrom ?? null,
    lastReviewMonth: state.lastReviewAt === null ? null : month(state.lastReviewAt),
    subScores: Object.fromEntries(
      Object.entries(ev.subScores).map(([k, s]) => [k, { score: s.score, weight: s.weight, effectiveWeight: r4(s.effectiveWeight), loss: s.loss, byCategory: s.byCategory }]),
    ),
    gates: ev.gates,
    veto: ev.veto ? { category: ev.veto.category, sinceMonth: month(ev.veto.since), untilMonth: month(ev.veto.until) } : null,
    downgrades: ev.downgrades.map((d) => ({ rule: d.rule, stars: d.stars, untilMonth: month(d.until), cases: caseWords(d.caseIds) })),
    downgradeStars: ev.downgradeStars,
    themes: ev.themes,
    streaks: {
      month: ev.streaks.month,
      quarter: ev.streaks.quarter,
      year: ev.streaks.year,
      lastIncidentMonth: ev.streaks.lastIncidentAt === null ? null : month(ev.streaks.lastIncidentAt),
      daysSinceLastIncident: ev.streaks.daysSinceLastIncident,
    },
  };
}

const caseView = (policy: Policy, c: CaseRecord | undefined, id: string) =>
  c
    ? { id: c.id, department: c.department, postedBy: (c as { postedBy?: string }).postedBy ?? c.department, category: c.category, month: localMonth(policy, c.occurredAt), status: c.status, occurredAt: iso(c.occurredAt), registeredAt: iso(c.registeredAt) }
    : { id };

/**
 * The full explanation for operators and departments (GET /api/compounds/:id/detail with a
 * token): every star and point traced to its sub-score, and every veto and downgrade to the
 * cases behind it, with ids, departments and exact times.
 */
export function explainPrivate(policy: Policy, ev: Evaluation, published: number | null, state: RatingState, cases: readonly CaseRecord[], signals: Signals) {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const pub = explainPublic(policy, ev, published, state, cases);
  const subScores = Object.fromEntries(
    Object.entries(ev.subScores).map(([k, s]) => [
      k,
      {
        ...pub.subScores[k],
        input: s.input === null ? null : r4(s.input),
        drivers: s.drivers.map((d) => ({ ...d, occurredAt: iso(d.occurredAt), decay: r4(d.decay), contribution: r4(d.contribution) })),
      },
    ]),
  );
  return {
    ...pub,
    evaluatedAt: iso(ev.at),
    /** What the data alone says now, before review hysteresis. */
    computedStars: ev.rated ? ev.stars : null,
    lastReviewAt: iso(state.lastReviewAt),
    subScores,
    veto: ev.veto ? { ...pub.veto, since: iso(ev.veto.since), until: iso(ev.veto.until), case: caseView(policy, byId.get(ev.veto.caseId), ev.veto.caseId) } : null,
    downgrades: ev.downgrades.map((d) => ({ rule: d.rule, stars: d.stars, until: iso(d.until), untilMonth: localMonth(policy, d.until), cases: d.caseIds.map((id) => caseView(policy, byId.get(id), id)) })),
    streaks: { ...ev.streaks, lastIncidentAt: iso(ev.streaks.lastIncidentAt) },
    onlineRate: signals.onlineRate,
    survey: signals.survey,
  };
}
