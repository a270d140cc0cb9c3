import { ID_PATTERN } from './ids.ts';
import { ALL_EVENT_TYPES, DEVICE_KINDS, SEVERITIES } from './devices.ts';

/**
 * A fast way to say "this is certainly Event v1" for the events the edge builds and the hub
 * parses (issue 14: the compiled TypeBox check cost ~1.3 µs per event, a fifth of ingest, mostly
 * in its per-key regex alternation and the arrays its `every` / `Object.entries` calls allocate).
 *
 * It only ever ACCEPTS: every condition here is the schema's (event.ts), or stricter (plain
 * objects only, strings of ≤ 256 UTF-16 units rather than code points, own properties only).
 * Whatever it does not accept goes to the TypeBox check, which decides and names the problems,
 * so the verdict is always the schema's (test/unit/protocol/event-accept.test.ts: for any value,
 * accepted here ⇒ accepted by TypeBox; and every vendor fixture's events are accepted here).
 * event.ts refuses to load if the schema's properties are not exactly the ones handled here.
 */
export const EVENT_ID_PATTERN = '^[A-Za-z0-9_.:-]{8,100}$';
/** Epoch ms bounds of deviceTime / receivedAt (2000-01-01 … 2100-01-01). */
export const EPOCH_MIN = 946_684_800_000;
export const EPOCH_MAX = 4_102_444_800_000;
export const ATTRIBUTE_MAX_LENGTH = 256;
export const ATTRIBUTES_MAX = 32;
export const ATTRIBUTE_KEY_PATTERN = '^[A-Za-z0-9_]{1,40}$';
export const SCORE_MODEL_MAX_LENGTH = 64;

export const REQUIRED_KEYS = ['v', 'id', 'deviceTime', 'receivedAt', 'district', 'compound', 'edge', 'device', 'kind', 'type', 'severity', 'attributes'] as const;
export const OPTIONAL_KEYS = ['clockSuspect', 'deviceTimeReported', 'clockSkewMs', 'backfilled', 'score'] as const;
const SCORE_KEYS = ['value', 'threshold', 'model', 'anomalous'] as const;

const KNOWN = new Set<string>([...REQUIRED_KEYS, ...OPTIONAL_KEYS]);
const OPTIONAL = new Set<string>(OPTIONAL_KEYS);
const KINDS = new Set<string>(DEVICE_KINDS);
const TYPES = new Set<string>(ALL_EVENT_TYPES);
const LEVELS = new Set<string>(SEVERITIES);
const EVENT_ID = new RegExp(EVENT_ID_PATTERN);
const SAFE_ID = new RegExp(ID_PATTERN);
const ATTRIBUTE_KEY = new RegExp(ATTRIBUTE_KEY_PATTERN);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const epoch = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= EPOCH_MIN && (v as number) <= EPOCH_MAX;
const safeId = (v: unknown): boolean => typeof v === 'string' && SAFE_ID.test(v);
const optional = (v: unknown, ok: (x: unknown) => boolean): boolean => v === undefined || ok(v);
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const isInt = (v: unknown): boolean => Number.isInteger(v);

/** True only if `v` is certainly a valid Event v1 by shape (the kind ↔ type pairing is checked by the caller). */
export function surelyEventShape(v: unknown): boolean {
  if (!isRecord(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const names = Object.getOwnPropertyNames(v);
  if (names.length < REQUIRED_KEYS.length) return false;
  let required = 0;
  for (const k of names) {
    if (!KNOWN.has(k)) return false;
    if (!OPTIONAL.has(k)) required++;
  }
  // Own names are distinct, so 12 known required names among them are all of them.
  if (required !== REQUIRED_KEYS.length) return false;
  return (
    v['v'] === 1 &&
    typeof v['id'] === 'string' && EVENT_ID.test(v['id']) &&
    epoch(v['deviceTime']) && epoch(v['receivedAt']) &&
    safeId(v['district']) && safeId(v['compound']) && safeId(v['edge']) && safeId(v['device']) &&
    typeof v['kind'] === 'string' && KINDS.has(v['kind']) &&
    typeof v['type'] === 'string' && TYPES.has(v['type']) &&
    typeof v['severity'] === 'string' && LEVELS.has(v['severity']) &&
    attributesOk(v['attributes']) &&
    optional(v['clockSuspect'], isBool) && optional(v['deviceTimeReported'], isInt) &&
    optional(v['clockSkewMs'], isInt) && optional(v['backfilled'], isBool) &&
    optional(v['score'], scoreOk)
  );
}

function attributesOk(a: unknown): boolean {
  if (!isRecord(a)) return false;
  const names = Object.getOwnPropertyNames(a);
  if (names.length > ATTRIBUTES_MAX) return false;
  for (const k of names) {
    if (!ATTRIBUTE_KEY.test(k)) return false;
    const x = a[k];
    if (typeof x === 'string') {
      if (x.length > ATTRIBUTE_MAX_LENGTH) return false;
    } else if (typeof x === 'number') {
      if (!Number.isFinite(x)) return false;
    } else if (typeof x !== 'boolean') return false;
  }
  return true;
}

function scoreOk(s: unknown): boolean {
  if (!isRecord(s)) return false;
  const names = Object.getOwnPropertyNames(s);
  if (names.length !== SCORE_KEYS.length) return false;
  for (const k of SCORE_KEYS) if (!Object.prototype.hasOwnProperty.call(s, k)) return false;
  return Number.isFinite(s['value']) && Number.isFinite(s['threshold']) &&
    typeof s['model'] === 'string' && s['model'].length <= SCORE_MODEL_MAX_LENGTH && typeof s['anomalous'] === 'boolean';
}
