import { SUB_SCORE_KEYS, type Policy, type SubScoreKey } from './policy-schema.ts';
import type { EngineInput, Evaluation, SubScore } from './types.ts';
import { activeDowngrades, activeVeto, applyEffects, bandStars, countingCases, gatesOf } from './effects.ts';
import { alarmItems, caseItems, expScore, linearScore, loadOf, subScore } from './subscores.ts';
import { streaksOf } from './streaks.ts';
import { IndexError } from './errors.ts';

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Theme of each non-case sub-score in the "what drags it down" list. */
const SIGNAL_THEME: Partial<Record<SubScoreKey, string>> = { survey: 'survey', online: 'devices', iot: 'iot' };

/**
 * The safety index of one compound at one instant: a pure function of (policy, compound, cases,
 * confirmed alarms, online rate, survey, time). Inputs may come in any order; cases of other
 * compounds, non-counting statuses and cases not yet known at `at` are ignored.
 */
export function evaluate(policy: Policy, input: EngineInput): Evaluation {
  const { compound, at } = input;
  if (!(compound.households > 0) || !Number.isFinite(at)) {
    throw new IndexError('SS_INDEX_BAD_INPUT', `compound '${compound.id}' households=${compound.households} at=${at}`);
  }
  const cases = countingCases(policy, input.cases, compound.id, at);
  const sp = policy.subScores;

  const crimeLoad = loadOf(policy, caseItems(policy, cases, 'crime'), compound.households, at);
  const otherLoad = loadOf(policy, caseItems(policy, cases, 'other'), compound.households, at);
  const iotLoad = loadOf(policy, alarmItems(policy, input.alarms, compound.id, at), compound.households, at);
  const clampFrac = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.min(1, Math.max(0, x)));
  const survey = clampFrac(input.survey);
  const online = clampFrac(input.onlineRate);

  const subs: Record<SubScoreKey, SubScore> = {
    crime: subScore(policy, 'crime', expScore(crimeLoad.r, sp.crime.curve.tau), crimeLoad.r, crimeLoad),
    other: subScore(policy, 'other', expScore(otherLoad.r, sp.other.curve.tau), otherLoad.r, otherLoad),
    survey: subScore(policy, 'survey', survey === null ? null : linearScore(survey, sp.survey.curve.zeroAt, sp.survey.curve.fullAt), survey),
    iot: subScore(policy, 'iot', expScore(iotLoad.r, sp.iot.curve.tau), iotLoad.r, iotLoad),
    online: subScore(policy, 'online', online === null ? null : linearScore(online, sp.online.curve.zeroAt, sp.online.curve.fullAt), online),
  };
  // A part without data leaves the index and the others re-weigh (policy.missingSubScore).
  const present = SUB_SCORE_KEYS.filter((k) => subs[k].score !== null);
  const wSum = present.reduce((s, k) => s + sp[k].weight, 0);
  let index = 0;
  const themeLoss = new Map<string, number>();
  const addTheme = (t: string, loss: number) => themeLoss.set(t, (themeLoss.get(t) ?? 0) + loss);
  for (const k of SUB_SCORE_KEYS) {
    const s = subs[k];
    if (s.score === null || wSum <= 0) continue;
    s.effectiveWeight = sp[k].weight / wSum;
    // Use the unrounded curve value: the index is rounded once, at the end.
    const raw = k === 'crime' ? expScore(crimeLoad.r, sp.crime.curve.tau)
      : k === 'other' ? expScore(otherLoad.r, sp.other.curve.tau)
      : k === 'iot' ? expScore(iotLoad.r, sp.iot.curve.tau)
      : s.score;
    index += s.effectiveWeight * raw;
    s.loss = round2(s.effectiveWeight * (100 - raw));
    for (const cat of Object.keys(s.byCategory)) {
      const v = (s.byCategory[cat] ?? 0) * s.effectiveWeight;
      s.byCategory[cat] = round2(v);
      addTheme(k === 'iot' ? 'iot' : (policy.categories[cat]?.theme ?? cat), v);
    }
    const signalTheme = SIGNAL_THEME[k];
    if (signalTheme && k !== 'iot') addTheme(signalTheme, s.effectiveWeight * (100 - raw));
  }
  index = wSum > 0 ? round2(index) : 0;

  const veto = activeVeto(policy, cases, at);
  const { downgrades, total } = activeDowngrades(policy, cases, at);
  const gates = gatesOf(policy, cases, veto, online, at);
  const band = bandStars(policy, index);
  const stars = applyEffects(policy, band, { veto, downgradeStars: total, gates }, { onlineGate: true });
  const themes = [...themeLoss]
    .filter(([, l]) => l > 0)
    .map(([theme, loss]) => ({ theme, loss: round2(loss) }))
    .sort((a, b) => b.loss - a.loss || (a.theme < b.theme ? -1 : 1));

  return {
    compound: compound.id,
    district: compound.district,
    at,
    policyVersion: policy.version,
    index,
    subScores: subs,
    bandStars: band,
    gates,
    veto,
    downgrades,
    downgradeStars: total,
    stars,
    themes,
    streaks: streaksOf(policy, cases, at),
  };
}
