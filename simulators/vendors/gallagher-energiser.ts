import type { EventType } from '../../protocol/devices.ts';
import { hash32 } from '../random.ts';
import { defaultSeverity, isoUtc, num, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/**
 * Gallagher energiser status report (VENDORS.md `gallagher-energiser`): one event per zone alarm;
 * a report without alarms is a status report = one `heartbeat` event.
 */
const ALARM: Partial<Record<EventType, string>> = {
  'wire-cut': 'ZoneVoltageLow', 'short-circuit': 'ZoneCurrentHigh', 'fence-alarm': 'EarthVoltage',
  tamper: 'Tamper', 'power-loss': 'MainsFail',
};

interface Zone { Zone: number; VoltageKv: number; CurrentA: number; EarthKv: number; Alarms: string[] }

export const gallagherEnergiser: ProfileEncoder = {
  profile: 'gallagher-energiser',
  kind: 'fence',
  supports: new Set<EventType>([...(Object.keys(ALARM) as EventType[]), 'heartbeat']),
  multi: true,
  severity: defaultSeverity,
  encode(intent, ctx) {
    const alarms = intent.events.filter((e) => e.type !== 'heartbeat');
    if (intent.events.length === 0 || (alarms.length > 0 && alarms.length !== intent.events.length)) {
      throw new Error('SS_SIM_ENCODE_MIXED: a Gallagher report is either one status (heartbeat) or 1..n zone alarms');
    }
    const maxZone = Math.max(4, ...alarms.map((e) => num(e.attributes['zone'], 1)));
    const wobble = (hash32(`${ctx.device.id}:${ctx.seq}`) % 7) / 10; // a little life in the readings
    const zones: Zone[] = [];
    for (let z = 1; z <= maxZone; z++) zones.push({ Zone: z, VoltageKv: Math.round((7.8 + wobble) * 10) / 10, CurrentA: 0.4, EarthKv: 0.1, Alarms: [] });
    for (const e of alarms) {
      const code = ALARM[e.type];
      if (!code) throw unsupported('gallagher-energiser', e.type);
      const zone = zones[num(e.attributes['zone'], 1) - 1] as Zone;
      zone.Alarms.push(code);
      if (e.type === 'wire-cut') zone.VoltageKv = 0.3;
      if (e.type === 'short-circuit') { zone.VoltageKv = 1.1; zone.CurrentA = 9.5; }
      if (e.type === 'fence-alarm') zone.EarthKv = 0.9; // earth voltage alarm above 0.5 kV default
    }
    const payload = {
      ControllerId: `G-${7700 + (hash32(ctx.device.id) % 100)}`,
      Timestamp: isoUtc(intent.deviceTime),
      System: alarms.length > 0 ? 'Alarm' : 'OK',
      BatteryPct: 90 + (hash32(ctx.device.id) % 10),
      SignalPct: 70 + (hash32(`s${ctx.seq}`) % 25),
      PulseIntervalS: 1.2,
      Zones: zones,
    };
    return { payload: JSON.stringify(payload), expectedEvents: alarms.length > 0 ? alarms.length : 1 };
  },
};
