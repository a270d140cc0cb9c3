import type { EventType } from '../../protocol/devices.ts';
import { defaultSeverity, firstEvent, hint, isoUtc, localPlain, num, str, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/** Plate-recognition camera with a gate relay (VENDORS.md `anpr-json`). */
const VERDICT: Partial<Record<EventType, string>> = { 'plate-read': 'allowed', 'unknown-vehicle': 'visitor', 'blacklist-hit': 'blacklist' };
const GATE: Partial<Record<EventType, string>> = { 'gate-open': 'open', 'gate-close': 'close', 'gate-fault': 'fault' };

export const anprJson: ProfileEncoder = {
  profile: 'anpr-json',
  kind: 'barrier',
  supports: new Set<EventType>(['plate-read', 'unknown-vehicle', 'blacklist-hit', 'gate-open', 'gate-close', 'gate-fault']),
  multi: false,
  severity: defaultSeverity,
  encode(intent, ctx) {
    const e = firstEvent(intent, 'anpr-json');
    const a = e.attributes;
    const lane = num(a['lane'], ctx.device.zone ?? 1);
    const time = isoUtc(intent.deviceTime, true);
    const verdict = VERDICT[e.type];
    if (verdict) {
      const payload = {
        msg_type: 'plate',
        event_time: time,
        registration_plate: str(a['plate'], '闽D00000'),
        country: 'CN',
        confidence: Math.round(num(a['confidence'], 0.9) * 100) / 100,
        plate_type: str(a['plateColor'], 'blue'),
        direction: str(a['direction'], 'in'),
        lane,
        vehicle: { type: str(a['vehicleType'], 'car'), colour: str(a['vehicleColour'], 'white'), make: str(a['make'], 'BYD') },
        verdict: e.type === 'unknown-vehicle' && hint(intent, 'verdict') === 'unknown' ? 'unknown' : verdict,
        // A re-sent record repeats its serial; the edge may drop repeats by it.
        parking_serial: hint(intent, 'serial') || (`P${localPlain(intent.deviceTime, ctx.tzOffsetMinutes).replace(/\D/g, '')}-${String(ctx.seq % 10000).padStart(4, '0')}`),
      };
      return { payload: JSON.stringify(payload), expectedEvents: 1 };
    }
    const state = GATE[e.type];
    if (!state) throw unsupported('anpr-json', e.type);
    const payload = { msg_type: 'gate', event_time: time, lane, state, reason: str(a['reason'], state === 'fault' ? 'motor' : 'plate') };
    return { payload: JSON.stringify(payload), expectedEvents: 1 };
  },
};
