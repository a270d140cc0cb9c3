import type { Policy } from '../policy/policy-schema.ts';
import { DAY_MS } from '../policy/time.ts';
import { countingCases, knownAt } from './effects.ts';
import { indexAt } from './engine.ts';
import { fallTo, type RatingState } from './rating.ts';
import type { EngineInput } from './types.ts';

/**
 * Falls between reviews, and why they hold.
 *
 * A plaque drops at once when the base index falls more than `immediateDropPoints` below its
 * level (rating.ts). Judged only on the index of the instant, the drop undid itself as soon as the
 * index recovered: a case known a day after a review took a 5★ plaque to 4★, and five days later a
 * year-old case left the 365-day window and the plaque was 5★ again, between reviews and without
 * the two runs ≥ threshold + 2 an upgrade needs (found by the rating property test, seed
 * 505034936). So the level a review set is lowered by the lowest base index since that review,
 * and stays lowered until a later review lifts it by the upgrade rule.
 *
 * That lowest value is a pure function of the inputs, so a replay and the live hub agree, and a
 * restart needs nothing stored: between the instants below the base index only rises (decay and
 * the window only lower a case's weight; survey and online rate are the current ones), so its
 * minimum over an interval is at one of them or at the interval's end. A case later corrected to a
 * non-counting status no longer lowers it: the fall it caused was a mistake.
 */

/**
 * Instants in (from, to) at which the base index can step down: a counting case or a confirmed
 * alarm starts to count, or a downgrade ends and its case joins the base index again.
 */
export function stepDownTimes(policy: Policy, input: Pick<EngineInput, 'compound' | 'cases' | 'alarms'>, from: number, to: number): number[] {
  const out = new Set<number>();
  const add = (t: number) => {
    if (t > from && t < to) out.add(t);
  };
  const id = input.compound.id;
  // The cases that count by `to` (this compound, a counting status, a known category, known by then).
  for (const c of countingCases(policy, input.cases, id, to)) {
    const starts = Math.max(knownAt(c), c.occurredAt);
    add(starts);
    for (const rule of policy.downgrades.rules) {
      const ends = c.occurredAt + rule.durationDays * DAY_MS;
      if (rule.categories.includes(c.category) && ends > starts) add(ends);
    }
  }
  for (const a of input.alarms) if (a.compound === id) add(Math.max(a.confirmedAt, a.occurredAt));
  return [...out].sort((a, b) => a - b);
}

/** The lowest base index at the step-down instants in (from, to); Infinity when there is none. */
export function lowestBaseIndex(policy: Policy, input: Omit<EngineInput, 'at'>, from: number, to: number, times = stepDownTimes(policy, input, from, to)): number {
  let low = Infinity;
  for (const at of times) low = Math.min(low, indexAt(policy, { ...input, at }));
  return low;
}

/**
 * A floor under the base index anywhere in (from, to), for one index computation: every case and
 * alarm that counts by `to`, downgrade cases too, weighed at `from` as if it had occurred by then.
 * More cases and less decay only lower the index, and a case that has left the window at `from`
 * is out later too. When even the floor keeps the level, no instant can take it down and the scan
 * is skipped (most compounds, most months).
 */
export function floorIndex(policy: Policy, input: Omit<EngineInput, 'at'>, from: number, to: number): number {
  const by = (t: number) => Math.min(t, from);
  const cases = input.cases
    .filter((c) => Math.max(knownAt(c), c.occurredAt) < to)
    .map((c) => ({ ...c, occurredAt: by(c.occurredAt), registeredAt: by(c.registeredAt), ...(c.receivedAt === undefined ? {} : { receivedAt: by(c.receivedAt) }) }));
  const alarms = input.alarms.filter((a) => Math.max(a.confirmedAt, a.occurredAt) < to).map((a) => ({ ...a, occurredAt: by(a.occurredAt), confirmedAt: by(a.confirmedAt) }));
  return indexAt(policy, { ...input, cases, alarms, at: from }, true);
}

/** Can anything in (from, to) take `level` down? False when no instant steps down or the floor keeps it. */
function mayFall(policy: Policy, input: Omit<EngineInput, 'at'>, level: number, offset: number, from: number, to: number, times: readonly number[]): boolean {
  return times.length > 0 && fallTo(policy, level, floorIndex(policy, input, from, to) + offset) < level;
}

/**
 * The state as it stands between reviews: the review's level after the falls since it (`low`, the
 * lowest base index since the review, judged with that review's calibration offset).
 * `droppedFrom` keeps the level the review set, for the explanation.
 */
export function settleDrops(policy: Policy, state: RatingState, low: number): RatingState {
  if (state.reviewStars === null || !Number.isFinite(low)) return state;
  const level = fallTo(policy, state.reviewStars, low + (state.offset ?? 0));
  return level === state.reviewStars ? state : { ...state, reviewStars: level, droppedFrom: state.droppedFrom ?? state.reviewStars };
}

/** `state` settled with the falls in (its last review, `to`) given the inputs. */
export function settledBefore(policy: Policy, state: RatingState, input: Omit<EngineInput, 'at'>, to: number): RatingState {
  const from = state.lastReviewAt;
  if (state.reviewStars === null || from === null) return state;
  const times = stepDownTimes(policy, input, from, to);
  if (!mayFall(policy, input, state.reviewStars, state.offset ?? 0, from, to, times)) return state;
  return settleDrops(policy, state, lowestBaseIndex(policy, input, from, to, times));
}
