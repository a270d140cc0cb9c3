import type { EventType, Severity } from '../../protocol/devices.ts';
import { fail, ok, type Codec, type DecodeResult, type EventDraft } from './types.ts';
import { idStr, isObject, num, parseDeviceTime, parseJsonObject, put, str, timeFail } from './util.ts';

/** `hikcentral-parking`: HikCentral OpenAPI OnEventNotify push with 1..n events (VENDORS.md). */
const TYPES: Record<number, [EventType, Severity, string?]> = {
  771760131: ['plate-read', 'info', 'in'],
  771760134: ['plate-read', 'info', 'out'],
  771756034: ['blacklist-hit', 'major'],
  771760133: ['unknown-vehicle', 'minor', 'in'],
  771760135: ['gate-fault', 'minor'],
};
const PLATE_COLOURS = ['blue', 'yellow', 'white', 'black', 'green'];
const MAX_EVENTS = 100;

export const hikcentralParking: Codec = (payload, ctx) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  if (p.value['method'] !== 'OnEventNotify') return fail('SS_CODEC_UNKNOWN_CODE', `method ${JSON.stringify(p.value['method'])?.slice(0, 40)} is not mapped`);
  const params = p.value['params'];
  const events = isObject(params) ? params['events'] : undefined;
  if (!Array.isArray(events) || events.length === 0) return fail('SS_CODEC_SHAPE', 'params.events must be a non-empty array');
  if (events.length > MAX_EVENTS) return fail('SS_CODEC_SHAPE', `params.events holds ${events.length} events (max ${MAX_EVENTS})`);
  const drafts: EventDraft[] = [];
  for (let i = 0; i < events.length; i++) {
    const r = decodeOne(events[i], i, ctx.timezone);
    if ('ok' in r) return r; // one bad event fails the push: the whole raw payload is dead-lettered, nothing half-kept
    drafts.push(r);
  }
  return ok(drafts);
};

function decodeOne(e: unknown, i: number, timezone: string): EventDraft | DecodeResult {
  if (!isObject(e)) return fail('SS_CODEC_SHAPE', `params.events[${i}] must be an object`);
  const code = num(e['eventType']);
  const t = code === undefined ? undefined : TYPES[code];
  if (!t) return fail('SS_CODEC_UNKNOWN_CODE', `params.events[${i}].eventType ${JSON.stringify(e['eventType'])?.slice(0, 40)} is not mapped`);
  const deviceTime = parseDeviceTime(e['happenTime'], timezone);
  if (deviceTime === undefined) return timeFail(`params.events[${i}].happenTime`, e['happenTime']);
  const attributes: EventDraft['attributes'] = { eventType: code as number };
  put(attributes, 'eventId', idStr(e['eventId']));
  put(attributes, 'lane', idStr(e['srcIndex']));
  const data = e['data'];
  let direction = t[2];
  if (isObject(data)) {
    put(attributes, 'plate', str(data['plateNo']));
    const colour = num(data['plateColor']);
    if (colour !== undefined) attributes['plateColour'] = PLATE_COLOURS[colour] ?? `code-${colour}`;
    put(attributes, 'vehicleColour', num(data['vehicleColor']));
    put(attributes, 'vehicleType', num(data['vehicleType']));
    const conf = num(data['confidence']);
    // HikCentral gives a percentage; anpr-json gives a fraction: events carry the fraction.
    if (conf !== undefined) attributes['confidence'] = Math.round(conf * 10) / 1000;
    const dir = num(data['direction']);
    if (direction === undefined && dir !== undefined) direction = dir === 0 ? 'in' : dir === 1 ? 'out' : `code-${dir}`;
  }
  if (direction !== undefined) attributes['direction'] = direction;
  return { kind: 'barrier', type: t[0], severity: t[1], deviceTime, attributes };
}
