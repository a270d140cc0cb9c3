import type { Policy } from './policy-schema.ts';
import type { CaseRecord, Downgrade, Gates, Veto } from './types.ts';
import { DAY_MS, startOfNextYear } from './time.ts';

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
 * 一票否决: a veto case recalls the plaque from the moment it is known until local 1 January after
 * that. Of several, the one lasting longest is reported (ties: the earliest, then by id).
 */
export function activeVeto(policy: Policy, cases: readonly CaseRecord[], at: number): Veto | null {
  const vetoCats = new Set(policy.veto.categories);
  let best: Veto | null = null;
  for (const c of cases) {
    if (!vetoCats.has(c.category)) continue;
    const since = knownAt(c);
    if (since - c.occurredAt > policy.veto.maxCaseAgeDays * DAY_MS) continue;
    const until = startOfNextYear(since, policy.timezoneOffsetMinutes);
    if (!(since <= at && at < until)) continue;
    if (!best || until > best.until || (until === best.until && since < best.since)) {
      best = { caseId: c.id, category: c.category, since, until };
    }
  }
  return best;
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

export function gatesOf(policy: Policy, cases: readonly CaseRecord[], veto: Veto | null, onlineRate: number | null, at: number): Gates {
  const g = policy.fiveStarGates;
  const ruled = new Set(policy.downgrades.rules.flatMap((r) => r.categories));
  const span = g.noDowngradeCaseDays * DAY_MS;
  return {
    noVeto: !g.noVeto || veto === null,
    noDowngradeCase: !cases.some((c) => ruled.has(c.category) && at - c.occurredAt < span),
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
 * Case effects on a base star level. A veto gives 0. The 5★ gates cap the base one below 5★;
 * downgrades subtract from the base. The two are not added: a 5★ compound with one burglary
 * shows 4★ (gate and −1★ agree), not 3★. Downgrades stop at the floor; only a veto goes below.
 */
export function applyEffects(
  policy: Policy,
  base: number,
  effects: { veto: Veto | null; downgradeStars: number; gates: Gates },
  opts: { onlineGate: boolean },
): number {
  if (effects.veto) return 0;
  const g = policy.fiveStarGates;
  const gatesOk = effects.gates.noVeto && effects.gates.noDowngradeCase && (!opts.onlineGate || effects.gates.onlineRate);
  const capped = base >= g.stars && !gatesOk ? g.stars - 1 : base;
  const lowered = effects.downgradeStars > 0 ? Math.max(policy.downgrades.floorStars, base - effects.downgradeStars) : base;
  return Math.min(capped, lowered);
}
