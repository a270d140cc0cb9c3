import Type from 'typebox';
import { compileChecker, type Problem } from '../../protocol/validate.ts';
import { CHECKIN_ACTIVITIES, REPORT_CATEGORIES, type CheckinActivity, type ReportCategory } from './labels.ts';

export const REPORT_TEXT_MAX = 500;

export const ReportSchema = Type.Object(
  {
    category: Type.Union(Object.keys(REPORT_CATEGORIES).map((k) => Type.Literal(k))),
    // The schema bounds the bytes the checker looks at; the exact limit is counted in characters below.
    text: Type.String({ minLength: 1, maxLength: REPORT_TEXT_MAX * 2 }),
  },
  { additionalProperties: false },
);

export const CheckinSchema = Type.Object(
  {
    officer: Type.String({ minLength: 1, maxLength: 64 }),
    activity: Type.Union(Object.keys(CHECKIN_ACTIVITIES).map((k) => Type.Literal(k))),
  },
  { additionalProperties: false },
);

const checkReportShape = compileChecker<{ category: ReportCategory; text: string }>(ReportSchema);
const checkCheckinShape = compileChecker<{ officer: string; activity: CheckinActivity }>(CheckinSchema);

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

// Control characters other than newline and tab have no place in a note and can upset log viewers.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** Pure: a resident's report body → the values to store, or the problems (text counted in characters). */
export function checkReport(body: unknown): Checked<{ category: ReportCategory; text: string }> {
  const r = checkReportShape(body);
  if (!r.ok) return r;
  const text = r.value.text.trim();
  const chars = [...text].length;
  if (chars === 0) return { ok: false, problems: [{ path: '/text', message: 'must not be empty' }] };
  if (chars > REPORT_TEXT_MAX) return { ok: false, problems: [{ path: '/text', message: `must be at most ${REPORT_TEXT_MAX} characters, got ${chars}` }] };
  if (CONTROL.test(text)) return { ok: false, problems: [{ path: '/text', message: 'must not contain control characters' }] };
  return { ok: true, value: { category: r.value.category, text } };
}

export function checkCheckin(body: unknown): Checked<{ officer: string; activity: CheckinActivity }> {
  const r = checkCheckinShape(body);
  if (!r.ok) return r;
  const officer = r.value.officer.trim();
  if (!officer || CONTROL.test(officer)) return { ok: false, problems: [{ path: '/officer', message: 'must be a name or badge number' }] };
  return { ok: true, value: { officer, activity: r.value.activity } };
}
