import type { EventType, Severity } from '../../protocol/devices.ts';
import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { idStr, num, parseDeviceTime, parseJsonObject, str, timeFail } from './util.ts';

/**
 * `gbt7946-fence`: pulse fence host zone report (VENDORS.md). `time` is local with no offset.
 * Tamper and faults are reported armed or not (GB/T 7946-2015), so `armed` never filters.
 */
const EVENTS: Record<string, [EventType, Severity]> = {
  alarm: ['fence-alarm', 'major'],
  open: ['wire-cut', 'critical'],
  short: ['short-circuit', 'major'],
  tamper: ['tamper', 'major'],
  power_loss: ['power-loss', 'minor'],
  link_loss: ['link-loss', 'minor'],
  arm: ['arm', 'info'],
  disarm: ['disarm', 'info'],
};

export const gbt7946Fence: Codec = (payload, ctx) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  const m = p.value;
  const event = str(m['event']);
  const e = event === undefined ? undefined : EVENTS[event];
  if (!e) return fail('SS_CODEC_UNKNOWN_CODE', `event ${JSON.stringify(m['event'])?.slice(0, 40)} is not mapped`);
  const deviceTime = parseDeviceTime(m['time'], ctx.timezone);
  if (deviceTime === undefined) return timeFail('time', m['time']);
  const zone = num(m['zone']);
  if (zone === undefined) return fail('SS_CODEC_SHAPE', 'zone must be a number');
  const attributes: EventDraft['attributes'] = { zone };
  const host = idStr(m['host']);
  if (host !== undefined) attributes['host'] = host;
  const kv = num(m['voltage_kv']);
  if (kv !== undefined) attributes['voltageKv'] = kv;
  if (typeof m['armed'] === 'boolean') attributes['armed'] = m['armed'];
  return ok([{ kind: 'fence', type: e[0], severity: e[1], deviceTime, attributes }]);
};
