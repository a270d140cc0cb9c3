import type { EventType, Severity } from '../../protocol/devices.ts';
import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { idStr, isObject, num, parseDeviceTime, parseJsonObject, put, str, timeFail } from './util.ts';

/** `anpr-json`: plate recognition camera with a gate relay (VENDORS.md). */
const VERDICTS: Record<string, [EventType, Severity]> = {
  allowed: ['plate-read', 'info'],
  visitor: ['unknown-vehicle', 'minor'],
  unknown: ['unknown-vehicle', 'minor'],
  blacklist: ['blacklist-hit', 'major'],
};
const GATE: Record<string, [EventType, Severity]> = {
  open: ['gate-open', 'info'],
  close: ['gate-close', 'info'],
  fault: ['gate-fault', 'minor'],
};

export const anprJson: Codec = (payload, ctx) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  const m = p.value;
  const msgType = str(m['msg_type']);
  const deviceTime = parseDeviceTime(m['event_time'], ctx.timezone);
  if (msgType !== 'plate' && msgType !== 'gate') return fail('SS_CODEC_UNKNOWN_CODE', `msg_type ${JSON.stringify(m['msg_type'])?.slice(0, 40)} is not mapped`);
  if (deviceTime === undefined) return timeFail('event_time', m['event_time']);
  const attributes: EventDraft['attributes'] = {};
  put(attributes, 'lane', num(m['lane']));

  if (msgType === 'gate') {
    const state = str(m['state']);
    const g = state === undefined ? undefined : GATE[state];
    if (!g) return fail('SS_CODEC_UNKNOWN_CODE', `gate state ${JSON.stringify(m['state'])?.slice(0, 40)} is not mapped`);
    put(attributes, 'reason', str(m['reason'])?.slice(0, 64));
    return ok([{ kind: 'barrier', type: g[0], severity: g[1], deviceTime, attributes }]);
  }

  const plate = str(m['registration_plate']);
  if (plate === undefined) return fail('SS_CODEC_SHAPE', 'registration_plate must be a string');
  const verdict = str(m['verdict']);
  const v = verdict === undefined ? undefined : VERDICTS[verdict];
  if (!v) return fail('SS_CODEC_UNKNOWN_CODE', `verdict ${JSON.stringify(m['verdict'])?.slice(0, 40)} is not mapped`);
  attributes['plate'] = plate;
  attributes['verdict'] = verdict as string;
  put(attributes, 'country', str(m['country']));
  put(attributes, 'confidence', num(m['confidence']));
  put(attributes, 'plateColour', str(m['plate_type']));
  put(attributes, 'direction', str(m['direction']));
  put(attributes, 'serial', idStr(m['parking_serial']));
  const veh = m['vehicle'];
  if (isObject(veh)) {
    put(attributes, 'vehicleType', str(veh['type']));
    put(attributes, 'vehicleColour', str(veh['colour']));
    put(attributes, 'vehicleMake', str(veh['make'])?.slice(0, 64));
  }
  return ok([{ kind: 'barrier', type: v[0], severity: v[1], deviceTime, attributes }]);
};
