import { fail, type DecodeResult } from './types.ts';

/** Parse JSON into a plain object or a typed failure. */
export function parseJsonObject(payload: Buffer): { ok: true; value: Record<string, unknown> } | { ok: false; result: DecodeResult } {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    return { ok: false, result: fail('SS_CODEC_JSON', (e as Error).message.slice(0, 200)) };
  }
  if (!isObject(v)) return { ok: false, result: fail('SS_CODEC_SHAPE', 'payload must be a JSON object') };
  return { ok: true, value: v };
}

/**
 * Set an attribute when the value is present. Module level on purpose: a `put` closure per
 * message cost measurable time on the hot path (allocation + tsx's name helper, issue 7).
 */
export function put(attributes: Record<string, string | number | boolean>, k: string, v: string | number | boolean | undefined): void {
  if (v !== undefined) attributes[k] = v;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Vendors send ids as numbers or strings; attributes keep them as trimmed strings. */
export function idStr(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0) return v.slice(0, 256);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

const OFFSET_RE = /(Z|[+-]\d\d:?\d\d)$/i;
const ISO_LIKE_RE = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?$/i;

/**
 * Device time → epoch ms. Strings without an offset are device local time in the site timezone
 * (VENDORS.md: GB/T 28181 `AlarmTime`, fence `time`). "2026-11-29 08:15:02" is accepted with a
 * space as well as a `T`. Numbers are epoch ms. Returns undefined for anything unparseable.
 */
export function parseDeviceTime(v: unknown, timezone: string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v) : undefined;
  if (typeof v !== 'string' || !ISO_LIKE_RE.test(v)) return undefined;
  let s = v.replace(' ', 'T');
  if (!OFFSET_RE.test(s)) s += timezone;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

export const timeFail = (field: string, v: unknown): DecodeResult =>
  fail('SS_CODEC_TIME', `${field} ${JSON.stringify(v)?.slice(0, 60) ?? 'undefined'} is not a time`);
