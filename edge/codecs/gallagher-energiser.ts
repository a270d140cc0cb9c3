import type { EventType, Severity } from '../../protocol/devices.ts';
import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { idStr, isObject, num, parseDeviceTime, parseJsonObject, put, str, timeFail } from './util.ts';

/**
 * `gallagher-energiser`: status report (VENDORS.md). One event per zone alarm; a report without
 * alarms is a status report → one `heartbeat` carrying battery, signal and per-zone kV.
 */
const ALARMS: Record<string, [EventType, Severity]> = {
  ZoneVoltageLow: ['wire-cut', 'critical'],
  ZoneCurrentHigh: ['short-circuit', 'major'],
  EarthVoltage: ['fence-alarm', 'major'],
  Tamper: ['tamper', 'major'],
  MainsFail: ['power-loss', 'minor'],
};
/** Event attributes are capped at 32 keys (Event v1): the status report lists at most 24 zones. */
const MAX_STATUS_ZONES = 24;
const MAX_ZONES = 80;

export const gallagherEnergiser: Codec = (payload, ctx) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  const m = p.value;
  const deviceTime = parseDeviceTime(m['Timestamp'], ctx.timezone);
  if (deviceTime === undefined) return timeFail('Timestamp', m['Timestamp']);
  const zones = m['Zones'];
  if (!Array.isArray(zones) || zones.length > MAX_ZONES) return fail('SS_CODEC_SHAPE', `Zones must be an array of at most ${MAX_ZONES}`);
  const controller = idStr(m['ControllerId']);
  const system = str(m['System']);
  const drafts: EventDraft[] = [];
  for (let i = 0; i < zones.length; i++) {
    const z = zones[i];
    if (!isObject(z)) return fail('SS_CODEC_SHAPE', `Zones[${i}] must be an object`);
    const zone = num(z['Zone']);
    const alarms = z['Alarms'] ?? [];
    if (zone === undefined || !Array.isArray(alarms)) return fail('SS_CODEC_SHAPE', `Zones[${i}] needs a numeric Zone and an Alarms array`);
    for (const a of alarms) {
      const t = typeof a === 'string' ? ALARMS[a] : undefined;
      if (!t) return fail('SS_CODEC_UNKNOWN_CODE', `Zones[${i}].Alarms ${JSON.stringify(a)?.slice(0, 40)} is not mapped`);
      const attributes: EventDraft['attributes'] = { zone, alarm: a as string };
      if (controller !== undefined) attributes['controller'] = controller;
      const kv = num(z['VoltageKv']);
      if (kv !== undefined) attributes['voltageKv'] = kv;
      const amps = num(z['CurrentA']);
      if (amps !== undefined) attributes['currentA'] = amps;
      const earth = num(z['EarthKv']);
      if (earth !== undefined) attributes['earthKv'] = earth;
      drafts.push({ kind: 'fence', type: t[0], severity: t[1], deviceTime, attributes });
    }
  }
  if (drafts.length > 0) return ok(drafts);

  const attributes: EventDraft['attributes'] = { status: true };
  put(attributes, 'controller', controller);
  put(attributes, 'system', system);
  put(attributes, 'batteryPct', num(m['BatteryPct']));
  put(attributes, 'signalPct', num(m['SignalPct']));
  put(attributes, 'pulseIntervalS', num(m['PulseIntervalS']));
  for (const z of zones.slice(0, MAX_STATUS_ZONES)) {
    const zone = isObject(z) ? num(z['Zone']) : undefined;
    const kv = isObject(z) ? num(z['VoltageKv']) : undefined;
    if (zone !== undefined && kv !== undefined && Number.isInteger(zone) && zone >= 0) attributes[`zone${zone}Kv`] = kv;
  }
  return ok([{ kind: 'fence', type: 'heartbeat', severity: 'info', deviceTime, attributes }]);
};
