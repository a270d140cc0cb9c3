import type { Policy } from '../policy/policy-schema.ts';
import { caseError, type CaseErrorBody } from './errors.ts';

/**
 * Departments post what is theirs (DOMAIN.md): the policy's departmentCategories lists the
 * categories each department may post; veto and downgrade categories only police and courts
 * (checked when the policy loads). Pure, so the rule is tested without a server.
 */
export function checkScope(policy: Policy, department: string, category: string): { ok: true } | { ok: false; status: 403; error: CaseErrorBody } {
  const allowed = policy.departmentCategories[department] ?? [];
  if (allowed.includes(category)) return { ok: true };
  const effect = policy.veto.categories.includes(category) ? 'a veto category' : policy.downgrades.rules.some((r) => r.categories.includes(category)) ? 'a downgrade category' : 'not one of its categories';
  return {
    ok: false,
    status: 403,
    error: caseError('SS_CASE_CATEGORY_FORBIDDEN', `department '${department}' may not post '${category}' (${effect}); it may post: ${allowed.join(', ') || 'nothing'}`),
  };
}
