/** Error codes of the cases API (stable; the message says what to do). */
export const CASE_ERRORS = {
  SS_CASE_AUTH: 'send a department or operator token: Authorization: Bearer <token>',
  SS_CASE_FORBIDDEN: 'this token may not do that; use the token of the department that owns the case, or an operator token',
  SS_CASE_CATEGORY_FORBIDDEN: 'a department posts only its own categories (policy departmentCategories; veto and downgrade categories only police and courts); ask the department that owns the case to post it',
  SS_CASE_INVALID: 'the body does not match the case schema; fix the listed fields',
  SS_CASE_UNKNOWN_CATEGORY: 'the category is not in the policy; use one of the listed categories',
  SS_CASE_UNKNOWN_COMPOUND: 'no compound with this id is registered; register the city first or check the id',
  SS_CASE_UNKNOWN_STATUS: 'the status is not in the policy; use one of the listed statuses',
  SS_CASE_TIME: 'the case times are impossible; occurredAt ≤ registeredAt ≤ now',
  SS_CASE_NOT_FOUND: 'no case with this id',
  SS_ALARM_UNKNOWN: 'no device alarm with this id; list pending ones with GET /api/alarms?status=pending',
} as const;

export type CaseErrorCode = keyof typeof CASE_ERRORS;

export interface CaseErrorBody {
  code: CaseErrorCode;
  message: string;
  problems?: { path: string; message: string }[];
}

export function caseError(code: CaseErrorCode, detail: string, problems?: CaseErrorBody['problems']): CaseErrorBody {
  return { code, message: `${code}: ${detail}; ${CASE_ERRORS[code]}`, ...(problems ? { problems } : {}) };
}
