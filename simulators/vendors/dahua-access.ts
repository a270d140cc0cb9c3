import type { EventType } from '../../protocol/devices.ts';
import { defaultSeverity, firstEvent, num, str, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/** Dahua event JSON (VENDORS.md `dahua-access`); `Data.UTC` is epoch seconds. */
const METHOD: Record<string, number> = { password: 0, card: 1, 'card+password': 2, fingerprint: 4, remote: 6, face: 15, qr: 21 };
/** Dahua access error codes as the controllers report them (0x10 …). */
const ERROR_CODE: Record<string, number> = {
  'no-permission': 0x10, expired: 0x11, 'outside-schedule': 0x14, 'unknown-card': 0x12, 'face-fail': 0x20, blacklist: 0x13, liveness: 0x21,
};

const ALARM_CODE: Partial<Record<EventType, string>> = {
  'door-forced': 'BreakIn', 'door-held': 'DoorNotClosed', tamper: 'ChassisIntruded',
  'anti-passback': 'RepeatEnter', 'repeated-denied': 'MaliciousAccessControl',
};

export const dahuaAccess: ProfileEncoder = {
  profile: 'dahua-access',
  kind: 'access',
  supports: new Set<EventType>(['granted', 'denied', 'duress', 'door-forced', 'door-held', 'door-closed', 'tamper', 'anti-passback', 'repeated-denied']),
  multi: false,
  severity: defaultSeverity,
  encode(intent, ctx) {
    const utc = Math.floor(intent.deviceTime / 1000);
    const door = num(intent.events[0]?.attributes['door'], ctx.device.zone ?? 1);
    if (intent.marker) {
      // The end of an alarm that was started earlier: an end marker, zero events (a held-open
      // door's end is the `door-closed` event instead).
      const code = (intent.markerOf && ALARM_CODE[intent.markerOf]) || 'BreakIn';
      return { payload: JSON.stringify({ Code: code, Action: 'Stop', Index: door - 1, Data: { UTC: utc } }), expectedEvents: 0 };
    }
    const e = firstEvent(intent, 'dahua-access');
    const a = e.attributes;
    if (e.type === 'granted' || e.type === 'denied' || (e.type === 'duress' && typeof a['card'] === 'string')) {
      const data: Record<string, unknown> = {
        CardNo: str(a['card'], ''),
        CardType: e.type === 'duress' ? 2 : 0,
        Method: METHOD[str(a['method'], 'card')] ?? 1,
        Name: str(a['person'], ''),
        ReaderID: String(door),
        RecNo: ctx.seq,
        Status: e.type === 'denied' ? 0 : 1,
        ErrorCode: e.type === 'denied' ? (ERROR_CODE[str(a['reason'], 'no-permission')] ?? 0x10) : 0,
        Type: a['direction'] === 'out' ? 'Exit' : 'Entry',
        UTC: utc,
        UserID: str(a['employee'], ''),
      };
      return { payload: JSON.stringify({ Code: 'AccessControl', Action: 'Pulse', Index: door - 1, Data: data }), expectedEvents: 1 };
    }
    if (e.type === 'door-closed') {
      // The door contact closing ends the DoorNotClosed alarm.
      return { payload: JSON.stringify({ Code: 'DoorNotClosed', Action: 'Stop', Index: door - 1, Data: { UTC: utc } }), expectedEvents: 1 };
    }
    if (e.type === 'duress') {
      return { payload: JSON.stringify({ Code: 'Duress', Action: 'Pulse', Index: door - 1, Data: { UTC: utc } }), expectedEvents: 1 };
    }
    const code = ALARM_CODE[e.type];
    if (!code) throw unsupported('dahua-access', e.type);
    const data: Record<string, unknown> = { UTC: utc };
    if (e.type === 'repeated-denied') data['Count'] = num(a['count'], 5);
    if (e.type === 'anti-passback' && typeof a['card'] === 'string') data['CardNo'] = a['card'];
    const action = e.type === 'anti-passback' ? 'Pulse' : 'Start';
    return { payload: JSON.stringify({ Code: code, Action: action, Index: door - 1, Data: data }), expectedEvents: 1 };
  },
};
