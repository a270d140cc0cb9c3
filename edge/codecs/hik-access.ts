import type { EventType, Severity } from '../../protocol/devices.ts';
import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { idStr, isObject, num, parseDeviceTime, parseJsonObject, put, str, timeFail } from './util.ts';

/**
 * `hik-access`: Hikvision ISAPI AccessControllerEvent (VENDORS.md). Major type 5 = access event,
 * 1 = alarm (tamper). Minor codes are the HCNetSDK constants.
 */
const GRANTED: Record<number, string> = { 0x01: 'card', 0x4b: 'face', 0x400: 'remote' };
const DENIED: Record<number, string> = {
  0x06: 'no-permission', 0x07: 'outside-schedule', 0x08: 'card-expired', 0x09: 'unknown-card',
  0x4c: 'face-fail', 0x68: 'liveness-failed', 0x71: 'blacklist',
};
const OTHER: Record<number, [EventType, Severity]> = {
  0x0a: ['anti-passback', 'minor'], 0x86: ['anti-passback', 'minor'],
  0x1b: ['door-forced', 'critical'], 0x87: ['door-forced', 'critical'], 0x88: ['door-forced', 'critical'],
  0x1c: ['door-held', 'minor'], 0x1a: ['door-closed', 'info'], 0x85: ['tailgating', 'major'], 0x94: ['repeated-denied', 'major'],
};
const TAMPER: Record<number, string> = { 0x404: 'enclosure', 0x406: 'card-reader' };
const DURESS_CARD_TYPE = 3;

export const hikAccess: Codec = (payload, ctx) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  const msg = p.value;
  const ev = msg['AccessControllerEvent'];
  if (!isObject(ev)) return fail('SS_CODEC_SHAPE', 'AccessControllerEvent object missing');
  const major = num(ev['majorEventType']);
  const minor = num(ev['subEventType']);
  if (major === undefined || minor === undefined) return fail('SS_CODEC_SHAPE', 'majorEventType / subEventType must be numbers');
  const deviceTime = parseDeviceTime(msg['dateTime'], ctx.timezone);
  if (deviceTime === undefined) return timeFail('dateTime', msg['dateTime']);

  const attributes: EventDraft['attributes'] = { majorEventType: major, subEventType: minor };
  put(attributes, 'card', idStr(ev['cardNo']));
  put(attributes, 'employee', idStr(ev['employeeNoString']));
  put(attributes, 'person', str(ev['name']));
  put(attributes, 'reader', num(ev['cardReaderNo']));
  put(attributes, 'door', num(ev['doorNo']));
  put(attributes, 'verifyMode', str(ev['currentVerifyMode']));
  put(attributes, 'serialNo', num(ev['serialNo']));
  put(attributes, 'deviceName', str(ev['deviceName'])?.slice(0, 100));

  const draft = (type: EventType, severity: Severity): EventDraft => ({ kind: 'access', type, severity, deviceTime, attributes });

  if (major === 5) {
    const method = GRANTED[minor];
    if (method !== undefined) {
      attributes['method'] = method;
      return ok([num(ev['cardType']) === DURESS_CARD_TYPE ? draft('duress', 'critical') : draft('granted', 'info')]);
    }
    const reason = DENIED[minor];
    if (reason !== undefined) {
      attributes['reason'] = reason;
      return ok([draft('denied', 'minor')]);
    }
    const other = OTHER[minor];
    if (other !== undefined) return ok([draft(other[0], other[1])]);
  } else if (major === 1) {
    const source = TAMPER[minor];
    if (source !== undefined) {
      attributes['source'] = source;
      return ok([draft('tamper', 'major')]);
    }
  }
  return fail('SS_CODEC_UNKNOWN_CODE', `majorEventType ${major} / subEventType 0x${minor.toString(16)} is not mapped`);
};
