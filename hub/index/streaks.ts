import type { Policy } from '../policy/policy-schema.ts';
import type { CaseRecord, StreakFlags, Streaks } from './types.ts';
import { DAY_MS, periodsOf, type Period } from '../policy/time.ts';

/**
 * Zero-incident flags (DOMAIN.md "Zero incidents") for the month, quarter and year containing
 * `at`, to date. Only cases break streaks: an IoT alarm counts once a department makes it a case.
 */
export function streaksOf(policy: Policy, cases: readonly CaseRecord[], at: number): Streaks {
  const alertDepts = new Set(policy.streaks.alertDepartments);
  const isAlert = (c: CaseRecord) => alertDepts.has(c.department) || policy.categories[c.category]?.alert === true;
  const isPreventable = (c: CaseRecord) => policy.categories[c.category]?.preventable === true;
  const flags = (p: Period): StreakFlags => {
    const inside = cases.filter((c) => c.occurredAt >= p.start && c.occurredAt <= at);
    return { period: p.key, zeroPreventable: !inside.some(isPreventable), zeroAlerts: !inside.some(isAlert) };
  };
  const periods = periodsOf(at, policy.timezoneOffsetMinutes);
  let last: number | null = null;
  for (const c of cases) if (isAlert(c) && c.occurredAt <= at && (last === null || c.occurredAt > last)) last = c.occurredAt;
  return {
    month: flags(periods.month),
    quarter: flags(periods.quarter),
    year: flags(periods.year),
    lastIncidentAt: last,
    daysSinceLastIncident: last === null ? null : Math.floor((at - last) / DAY_MS),
  };
}
