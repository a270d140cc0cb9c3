import type { EventType } from '../../protocol/devices.ts';
import { defaultSeverity, firstEvent, localPlain, num, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/** Pulse fence host zone report (VENDORS.md `gbt7946-fence`); `time` is local, no offset. */
const EVENT: Partial<Record<EventType, string>> = {
  'fence-alarm': 'alarm', 'wire-cut': 'open', 'short-circuit': 'short', tamper: 'tamper',
  'power-loss': 'power_loss', 'link-loss': 'link_loss', arm: 'arm', disarm: 'disarm',
};

export const gbt7946Fence: ProfileEncoder = {
  profile: 'gbt7946-fence',
  kind: 'fence',
  supports: new Set(Object.keys(EVENT) as EventType[]),
  multi: false,
  severity: defaultSeverity,
  encode(intent, ctx) {
    const e = firstEvent(intent, 'gbt7946-fence');
    const event = EVENT[e.type];
    if (!event) throw unsupported('gbt7946-fence', e.type);
    const a = e.attributes;
    // An open wire reads near zero; a healthy pulse fence carries 5–10 kV.
    const voltage = num(a['voltageKv'], e.type === 'wire-cut' || e.type === 'power-loss' ? 0.2 : 7.8);
    const payload = {
      host: `PF-${String(ctx.device.zone ?? 1).padStart(2, '0')}`,
      zone: num(a['zone'], ctx.device.zone ?? 1),
      event,
      voltage_kv: Math.round(voltage * 10) / 10,
      armed: typeof a['armed'] === 'boolean' ? a['armed'] : e.type !== 'disarm',
      time: localPlain(intent.deviceTime, ctx.tzOffsetMinutes),
    };
    return { payload: JSON.stringify(payload), expectedEvents: 1 };
  },
};
