import type { EventType } from '../../protocol/devices.ts';
import { hash32 } from '../random.ts';
import { defaultSeverity, isoWithOffset, num, str, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/** HikCentral OpenAPI event push, 1..n events (VENDORS.md `hikcentral-parking`). */
const PLATE_COLOR: Record<string, number> = { blue: 0, yellow: 1, white: 2, black: 3, green: 4 };
const VEHICLE_COLOR: Record<string, number> = { white: 1, black: 2, silver: 3, red: 4, blue: 5, grey: 6 };

function eventType(type: EventType, direction: string): number {
  switch (type) {
    case 'plate-read': return direction === 'out' ? 771760134 : 771760131;
    case 'blacklist-hit': return 771756034;
    case 'unknown-vehicle': return 771760133;
    case 'gate-fault': return 771760135;
    default: throw unsupported('hikcentral-parking', type);
  }
}

export const hikcentralParking: ProfileEncoder = {
  profile: 'hikcentral-parking',
  kind: 'barrier',
  supports: new Set<EventType>(['plate-read', 'blacklist-hit', 'unknown-vehicle', 'gate-fault']),
  multi: true,
  severity: defaultSeverity,
  encode(intent, ctx) {
    if (intent.events.length === 0) throw new Error('SS_SIM_ENCODE_EMPTY: hikcentral-parking push needs at least one event');
    const events = intent.events.map((e, i) => {
      const a = e.attributes;
      const direction = str(a['direction'], 'in');
      const lane = num(a['lane'], ctx.device.zone ?? 1);
      const data: Record<string, unknown> =
        e.type === 'gate-fault'
          ? { faultCode: str(a['reason'], 'motor') }
          : {
              plateNo: str(a['plate'], '闽D00000'),
              plateColor: PLATE_COLOR[str(a['plateColor'], 'blue')] ?? 0,
              vehicleColor: VEHICLE_COLOR[str(a['vehicleColour'], 'white')] ?? 1,
              vehicleType: 1,
              direction: direction === 'out' ? 1 : 0,
              confidence: Math.round(num(a['confidence'], 0.9) * 100),
            };
      const id = hash32(`${ctx.device.id}:${ctx.seq}:${i}`).toString(16).padStart(8, '0');
      return {
        eventId: `${id}-${ctx.seq.toString(16).padStart(4, '0')}-4${id.slice(0, 3)}-8${id.slice(3, 6)}-${ctx.device.id.length.toString(16).padStart(4, '0')}${id}`,
        eventType: eventType(e.type, direction),
        srcIndex: `lane-${lane}`,
        srcType: 'roadway',
        happenTime: isoWithOffset(intent.deviceTime, ctx.tzOffsetMinutes, true),
        data,
      };
    });
    const payload = {
      method: 'OnEventNotify',
      params: { ability: 'event_pms', sendTime: isoWithOffset(intent.deviceTime + 300, ctx.tzOffsetMinutes, true), events },
    };
    return { payload: JSON.stringify(payload), expectedEvents: events.length };
  },
};
