import type { EventType, Severity } from '../../protocol/devices.ts';
import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { idStr, isObject, num, parseJsonObject, put, str } from './util.ts';

/** `dahua-access`: Dahua event JSON (VENDORS.md). `Data.UTC` is epoch seconds. */
const METHODS: Record<number, string> = {
  0: 'password', 1: 'card', 2: 'card-password', 4: 'fingerprint', 6: 'remote', 15: 'face', 21: 'qr-code',
};
const ALARMS: Record<string, [EventType, Severity]> = {
  BreakIn: ['door-forced', 'critical'],
  DoorNotClosed: ['door-held', 'minor'],
  Duress: ['duress', 'critical'],
  ChassisIntruded: ['tamper', 'major'],
  RepeatEnter: ['anti-passback', 'minor'],
  MaliciousAccessControl: ['repeated-denied', 'major'],
};
const DURESS_CARD_TYPE = 2;

export const dahuaAccess: Codec = (payload) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  const code = str(p.value['Code']);
  const action = str(p.value['Action']);
  const data = p.value['Data'];
  if (code === undefined || action === undefined) return fail('SS_CODEC_SHAPE', 'Code and Action must be strings');
  if (!isObject(data)) return fail('SS_CODEC_SHAPE', 'Data object missing');
  if (code !== 'AccessControl' && !Object.hasOwn(ALARMS, code)) return fail('SS_CODEC_UNKNOWN_CODE', `Code '${code.slice(0, 60)}' is not mapped`);
  // An alarm's Stop is the end marker of its Start: the alarm was already reported. Only the
  // held-open door's Stop says something new: the door closed, which dates how long it stood open.
  if (action === 'Stop' && code !== 'DoorNotClosed') return ok([]);
  const utc = num(data['UTC']);
  if (utc === undefined) return fail('SS_CODEC_TIME', 'Data.UTC (epoch seconds) missing');
  const deviceTime = Math.round(utc * 1000);

  const attributes: EventDraft['attributes'] = { code };
  put(attributes, 'card', idStr(data['CardNo']));
  put(attributes, 'employee', idStr(data['UserID']));
  put(attributes, 'person', str(data['Name']));
  put(attributes, 'reader', idStr(data['ReaderID']));
  put(attributes, 'recNo', num(data['RecNo']));
  put(attributes, 'direction', str(data['Type']));
  const draft = (type: EventType, severity: Severity): EventDraft => ({ kind: 'access', type, severity, deviceTime, attributes });

  if (code === 'AccessControl') {
    const m = num(data['Method']);
    if (m !== undefined) attributes['method'] = METHODS[m] ?? `code-${m}`;
    if (num(data['CardType']) === DURESS_CARD_TYPE) return ok([draft('duress', 'critical')]);
    if (num(data['Status']) === 1) return ok([draft('granted', 'info')]);
    put(attributes, 'reason', idStr(data['ErrorCode']) ?? 'unknown');
    return ok([draft('denied', 'minor')]);
  }
  put(attributes, 'durationS', num(data['Duration']));
  if (action === 'Stop') return ok([draft('door-closed', 'info')]);
  const [type, severity] = ALARMS[code] as [EventType, Severity];
  put(attributes, 'count', num(data['Count']));
  return ok([draft(type, severity)]);
};
