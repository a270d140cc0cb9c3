import { SUB_SCORE_KEYS, type Policy, type SubScoreKey } from '../policy/policy-schema.ts';
import type { CaseRecord, EngineInput, Evaluation, SubScore } from './types.ts';
import { activeDowngrades, activeVeto, bandStars, composeStars, countingCases, gatedBand, gatesOf } from './effects.ts';
import { alarmItems, caseItems, expScore, linearScore, loadOf, subScore } from './subscores.ts';
import { streaksOf } from './streaks.ts';
import { IndexError } from './errors.ts';

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Theme of each non-case sub-score in the "what drags it down" list. */
const SIGNAL_THEME: Partial<Record<SubScoreKey, string>> = { survey: 'survey', online: 'devices', iot: 'iot' };

interface IndexParts {
  index: number;
  subScores: Record<SubScoreKey, SubScore>;
  themes: { theme: string; loss: number }[];
}

/** The weighted index of a set of (already filtered, sorted) cases and alarms, with its parts. */
function indexOf(
  policy: Policy,
  households: number,
  cases: readonly CaseRecord[],
  alarms: ReturnType<typeof alarmItems>,
  survey: number | null,
  online: number | null,
  at: number,
): IndexParts {
  const sp = policy.subScores;
  const crimeLoad = loadOf(policy, caseItems(policy, cases, 'crime'), households, at);
  const otherLoad = loadOf(policy, caseItems(policy, cases, 'other'), households, at);
  const iotLoad = loadOf(policy, alarms, households, at);
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
  const themes = [...themeLoss]
    .filter(([, l]) => l > 0)
    .map(([theme, loss]) => ({ theme, loss: round2(loss) }))
    .sort((a, b) => b.loss - a.loss || (a.theme < b.theme ? -1 : 1));
  return { index: wSum > 0 ? round2(index) : 0, subScores: subs, themes };
}

const clampFrac = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.min(1, Math.max(0, x)));

/** What counts at `input.at`: checked, filtered and clamped the same way for every reader. */
function inputsAt(policy: Policy, input: EngineInput) {
  const { compound, at } = input;
  if (!(compound.households > 0) || !Number.isFinite(at)) {
    throw new IndexError('SS_INDEX_BAD_INPUT', `compound '${compound.id}' households=${compound.households} at=${at}`);
  }
  return {
    cases: countingCases(policy, input.cases, compound.id, at),
    alarms: alarmItems(policy, input.alarms, compound.id, at),
    survey: clampFrac(input.survey),
    online: clampFrac(input.onlineRate),
  };
}

/**
 * evaluate(…).baseIndex (`withDowngradeCases`: .index) and nothing else: the fall-between-reviews
 * scan reads it at every step-down instant of a month (drops.ts), where the veto, the streaks and
 * the explanation evaluate() also builds made a monthly review of the city five times slower.
 */
export function indexAt(policy: Policy, input: EngineInput, withDowngradeCases = false): number {
  const { compound, at } = input;
  const { cases, alarms, survey, online } = inputsAt(policy, input);
  let counted = cases;
  if (!withDowngradeCases) {
    const downIds = new Set(activeDowngrades(policy, cases, at).downgrades.flatMap((d) => d.caseIds));
    if (downIds.size > 0) counted = cases.filter((c) => !downIds.has(c.id));
  }
  return indexOf(policy, compound.households, counted, alarms, survey, online, at).index;
}

/**
 * The safety index of one compound at one instant: a pure function of (policy, compound, cases,
 * confirmed alarms, online rate, survey, time). Inputs may come in any order; cases of other
 * compounds, non-counting statuses and cases not yet known at `at` are ignored.
 *
 * Two numbers come out: `index`, with every case's weight (what the compound is shown), and
 * `baseIndex`, without the cases whose downgrade is active (what its stars are decided on, so a
 * downgrade costs exactly its stars: effects.ts `composeStars`).
 */
export function evaluate(policy: Policy, input: EngineInput): Evaluation {
  const { compound, at } = input;
  const { cases, alarms, survey, online } = inputsAt(policy, input);

  const all = indexOf(policy, compound.households, cases, alarms, survey, online, at);
  const { downgrades, total } = activeDowngrades(policy, cases, at);
  const downIds = new Set(downgrades.flatMap((d) => d.caseIds));
  const baseIndex = downIds.size === 0 ? all.index : indexOf(policy, compound.households, cases.filter((c) => !downIds.has(c.id)), alarms, survey, online, at).index;

  const veto = activeVeto(policy, cases, at);
  const gates = gatesOf(policy, veto, online);
  const band = bandStars(policy, baseIndex);
  const windowStart = at - policy.window.days * 86_400_000;
  // Enough data to say anything: a survey, a device heard, or a case in the window.
  const rated = !policy.unratedWithoutData || survey !== null || online !== null || alarms.length > 0 || cases.some((c) => c.occurredAt >= windowStart);

  return {
    compound: compound.id,
    district: compound.district,
    at,
    policyVersion: policy.version,
    index: all.index,
    baseIndex,
    subScores: all.subScores,
    bandStars: band,
    rated,
    gates,
    veto,
    downgrades,
    downgradeStars: total,
    stars: composeStars(policy, gatedBand(policy, band, gates), { veto, downgradeStars: total }),
    themes: all.themes,
    streaks: streaksOf(policy, cases, at),
  };
}
