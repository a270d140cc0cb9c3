import type { Policy } from '../policy/policy-schema.ts';
import type { CaseRecord, Downgrade, Gates, Veto } from './types.ts';
import { DAY_MS, firstReviewAtOrAfter, startOfNextYear } from '../policy/time.ts';

/** When the hub could first act on a case: never before the department registered it. */
export function knownAt(c: CaseRecord): number {
  return Math.max(c.registeredAt, c.receivedAt ?? c.registeredAt);
}

/** Cases that count at `at`: a counting status, known by then, and not in the future. */
export function countingCases(policy: Policy, cases: readonly CaseRecord[], compound: string, at: number): CaseRecord[] {
  const counting = new Set(policy.statuses.counting);
  return cases
    .filter((c) => c.compound === compound && counting.has(c.status) && knownAt(c) <= at && c.occurredAt <= at && Object.hasOwn(policy.categories, c.category))
    // A fixed order makes float sums and tie-breaks independent of arrival order (replay).
    .sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * 一票否决: a veto case recalls the plaque from the moment it is known. It ends at the first
 * scheduled review on or after the later of (a) local 1 January after the year the case occurred
 * (out for that rating year [S]) and (b) its registration + `veto.minDaysFromRegistration` (a
 * floor, so a homicide on 31 December does not cost four hours, and a case registered late is
 * judged by the same two clocks). It never ends at a bare midnight: the review that ends it also
 * re-rates the compound. Of several, the one lasting longest is reported (ties: earliest, then id).
 */
export function activeVeto(policy: Policy, cases: readonly CaseRecord[], at: number): Veto | null {
  const vetoCats = new Set(policy.veto.categories);
  let best: Veto | null = null;
  for (const c of cases) {
    if (!vetoCats.has(c.category)) continue;
    const since = knownAt(c);
    if (since - c.occurredAt > policy.veto.maxCaseAgeDays * DAY_MS) continue;
    if (since > at) continue;
    const until = vetoEnd(policy, c.occurredAt, since);
    if (!(at < until)) continue;
    if (!best || until > best.until || (until === best.until && since < best.since)) {
      best = { caseId: c.id, category: c.category, since, until };
    }
  }
  return best;
}

/** When a veto of a case that occurred at `occurredAt` and became known at `since` ends: a review. */
export function vetoEnd(policy: Policy, occurredAt: number, since: number): number {
  const tz = policy.timezoneOffsetMinutes;
  const earliest = Math.max(startOfNextYear(occurredAt, tz), since + policy.veto.minDaysFromRegistration * DAY_MS);
  return firstReviewAtOrAfter(policy.review, tz, earliest);
}

/** Downgrade rules in force at `at`, each capped, then the total capped. */
export function activeDowngrades(policy: Policy, cases: readonly CaseRecord[], at: number): { downgrades: Downgrade[]; total: number } {
  const downgrades: Downgrade[] = [];
  let sum = 0;
  for (const rule of policy.downgrades.rules) {
    const cats = new Set(rule.categories);
    const span = rule.durationDays * DAY_MS;
    const hits = cases.filter((c) => cats.has(c.category) && at - c.occurredAt < span);
    if (hits.length === 0) continue;
    const stars = Math.min(rule.maxStars, hits.length * rule.starsPerCase);
    sum += stars;
    downgrades.push({
      rule: rule.id,
      stars,
      caseIds: hits.map((c) => c.id),
      until: Math.max(...hits.map((c) => c.occurredAt + span)),
    });
  }
  return { downgrades, total: Math.min(policy.downgrades.maxTotalStars, sum) };
}

/**
 * The 5★ gates besides the index: no veto, and the device online rate. There is deliberately no
 * "no downgrade case" gate: an active downgrade already keeps a compound below 5★, and a gate
 * that said so again would take its star twice.
 */
export function gatesOf(policy: Policy, veto: Veto | null, onlineRate: number | null): Gates {
  const g = policy.fiveStarGates;
  return {
    noVeto: !g.noVeto || veto === null,
    onlineRate: onlineRate === null ? g.unknownOnlineRatePasses : onlineRate >= g.minOnlineRate,
  };
}

/** Stars from the index alone. */
export function bandStars(policy: Policy, index: number): number {
  for (const b of policy.stars.bands) {
    if (b.inclusive ? index >= b.min : index > b.min) return b.stars;
  }
  return policy.stars.belowBands;
}

/** Lower bound of the band giving `stars` (for hysteresis), or null if no band gives it. */
export function bandFloor(policy: Policy, stars: number): number | null {
  const b = policy.stars.bands.find((x) => x.stars === stars);
  return b ? b.min : null;
}

/**
 * THE rule order, written once; every star anywhere (first list, published plaque, calibration)
 * goes through it:
 *   1. `base` is the level of the compound WITHOUT its active downgrade cases (their weight is
 *      still in the index number shown, but not in the band that sets the stars), capped by the
 *      5★ gates when the caller judges them;
 *   2. a veto gives 0;
 *   3. otherwise downgrades subtract (each rule capped, the total capped), stopping at the floor.
 * So one burglary costs exactly one star against the same compound without it, on every day of
 * its 180 days, and no gate counts it a second time.
 */
export function composeStars(policy: Policy, base: number, effects: { veto: Veto | null; downgradeStars: number }): number {
  if (effects.veto) return 0;
  if (effects.downgradeStars <= 0) return base;
  return Math.max(Math.min(base, policy.downgrades.floorStars), base - effects.downgradeStars);
}

/** Band stars capped by the 5★ gates (no veto, online rate). */
export function gatedBand(policy: Policy, band: number, gates: Gates): number {
  const g = policy.fiveStarGates;
  return band >= g.stars && !(gates.noVeto && gates.onlineRate) ? g.stars - 1 : band;
}
