import Type from 'typebox';
import { ID_PATTERN } from '../../protocol/ids.ts';
import { compileChecker } from '../../protocol/validate.ts';
import type { Policy } from '../policy/policy-schema.ts';
import type { CaseRecord } from '../../protocol/cases.ts';
import { caseError, type CaseErrorBody } from './errors.ts';

/** Times as ISO 8601 with an offset, or epoch milliseconds (2000 … 2100, catching seconds/ms mix-ups). */
const Time = Type.Union([
  Type.String({ minLength: 10, maxLength: 40 }),
  Type.Integer({ minimum: 946_684_800_000, maximum: 4_102_444_800_000 }),
]);

export const CaseBodySchema = Type.Object(
  {
    id: Type.String({ pattern: ID_PATTERN }),
    department: Type.String({ minLength: 1, maxLength: 40 }),
    category: Type.String({ minLength: 1, maxLength: 40 }),
    compound: Type.String({ pattern: ID_PATTERN }),
    occurredAt: Time,
    registeredAt: Time,
    status: Type.String({ minLength: 1, maxLength: 40 }),
  },
  { additionalProperties: false },
);

export interface CaseBody {
  id: string;
  department: string;
  category: string;
  compound: string;
  occurredAt: string | number;
  registeredAt: string | number;
  status: string;
}

const checkBody = compileChecker<CaseBody>(CaseBodySchema);

/** Allowed clock difference between a department's system and the hub (ms). */
export const CLOCK_SKEW_MS = 5 * 60_000;

function toMs(v: string | number): number {
  if (typeof v === 'number') return v;
  // An ISO time must carry its offset: "2026-05-01T10:00" alone would be read in the hub's zone.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(v)) return Number.NaN;
  return Date.parse(v);
}

export type CaseCheck = { ok: true; value: CaseRecord } | { ok: false; status: 400; error: CaseErrorBody };

/**
 * Pure validation of a posted case against the schema and the policy. Nothing is stored unless
 * this returns ok (issue 6: unknown category or compound → 400 with the reason, nothing stored).
 */
export function checkCase(policy: Policy, body: unknown, hasCompound: (id: string) => boolean, now: number): CaseCheck {
  const r = checkBody(body);
  if (!r.ok) return { ok: false, status: 400, error: caseError('SS_CASE_INVALID', 'case body is invalid', r.problems) };
  const b = r.value;
  if (!Object.hasOwn(policy.categories, b.category)) {
    return { ok: false, status: 400, error: caseError('SS_CASE_UNKNOWN_CATEGORY', `'${b.category}' (known: ${Object.keys(policy.categories).join(', ')})`) };
  }
  if (!policy.departments.includes(b.department)) {
    return { ok: false, status: 400, error: caseError('SS_CASE_INVALID', `unknown department '${b.department}' (known: ${policy.departments.join(', ')})`, [{ path: '/department', message: 'unknown department' }]) };
  }
  if (!hasCompound(b.compound)) return { ok: false, status: 400, error: caseError('SS_CASE_UNKNOWN_COMPOUND', `'${b.compound}'`) };
  const statuses = [...policy.statuses.counting, ...policy.statuses.ignored];
  if (!statuses.includes(b.status)) return { ok: false, status: 400, error: caseError('SS_CASE_UNKNOWN_STATUS', `'${b.status}' (known: ${statuses.join(', ')})`) };
  const occurredAt = toMs(b.occurredAt);
  const registeredAt = toMs(b.registeredAt);
  if (!Number.isFinite(occurredAt) || !Number.isFinite(registeredAt)) {
    return { ok: false, status: 400, error: caseError('SS_CASE_TIME', 'occurredAt and registeredAt must be ISO 8601 times with an offset (…Z or …+08:00) or epoch ms') };
  }
  if (occurredAt > registeredAt || registeredAt > now + CLOCK_SKEW_MS) {
    return { ok: false, status: 400, error: caseError('SS_CASE_TIME', `occurredAt ${new Date(occurredAt).toISOString()}, registeredAt ${new Date(registeredAt).toISOString()}, now ${new Date(now).toISOString()}`) };
  }
  return { ok: true, value: { id: b.id, department: b.department, category: b.category, compound: b.compound, occurredAt, registeredAt, status: b.status } };
}
