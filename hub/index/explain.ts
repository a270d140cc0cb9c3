import type { Evaluation } from './types.ts';
import type { RatingState } from './rating.ts';
import type { CaseRecord } from './types.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const caseView = (c: CaseRecord | undefined, id: string) =>
  c
    ? { id: c.id, department: c.department, category: c.category, status: c.status, occurredAt: iso(c.occurredAt), registeredAt: iso(c.registeredAt) }
    : { id };

/**
 * The API's explanation of a rating (GET /api/compounds/:id → detail): every star and point is
 * traced to its sub-score, and every veto and downgrade to the cases behind it.
 */
export function explain(ev: Evaluation, published: number, state: RatingState, cases: readonly CaseRecord[], signals: { onlineRate: number | null; survey: number | null }) {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const subScores = Object.fromEntries(
    Object.entries(ev.subScores).map(([k, s]) => [
      k,
      {
        score: s.score,
        weight: s.weight,
        effectiveWeight: Math.round(s.effectiveWeight * 10_000) / 10_000,
        loss: s.loss,
        input: s.input === null ? null : Math.round(s.input * 10_000) / 10_000,
        byCategory: s.byCategory,
        drivers: s.drivers.map((d) => ({ ...d, occurredAt: iso(d.occurredAt), decay: Math.round(d.decay * 10_000) / 10_000, contribution: Math.round(d.contribution * 10_000) / 10_000 })),
      },
    ]),
  );
  return {
    engine: 'safety-index',
    policyVersion: ev.policyVersion,
    evaluatedAt: iso(ev.at),
    stars: published,
    /** What the data alone says now, before review hysteresis. */
    computedStars: ev.stars,
    bandStars: ev.bandStars,
    reviewStars: state.reviewStars,
    lastReviewAt: iso(state.lastReviewAt),
    subScores,
    gates: ev.gates,
    veto: ev.veto ? { category: ev.veto.category, since: iso(ev.veto.since), until: iso(ev.veto.until), case: caseView(byId.get(ev.veto.caseId), ev.veto.caseId) } : null,
    downgrades: ev.downgrades.map((d) => ({ rule: d.rule, stars: d.stars, until: iso(d.until), cases: d.caseIds.map((id) => caseView(byId.get(id), id)) })),
    downgradeStars: ev.downgradeStars,
    themes: ev.themes,
    streaks: { ...ev.streaks, lastIncidentAt: iso(ev.streaks.lastIncidentAt) },
    onlineRate: signals.onlineRate,
    survey: signals.survey,
  };
}
