import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { num, parseDeviceTime, parseJsonObject, str, timeFail } from './util.ts';

/** `heartbeat` channel, every profile: `{"ts": epoch ms | ISO 8601, "uptimeS"?, "rssi"?, "battery"?, "fw"?}`. */
export const heartbeat: Codec = (payload, ctx) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  const m = p.value;
  const deviceTime = parseDeviceTime(m['ts'], ctx.timezone);
  if (deviceTime === undefined) return timeFail('ts', m['ts']);
  const attributes: EventDraft['attributes'] = {};
  for (const k of ['uptimeS', 'rssi', 'battery'] as const) {
    if (m[k] === undefined) continue;
    const v = num(m[k]);
    if (v === undefined) return fail('SS_CODEC_SHAPE', `${k} must be a number`);
    attributes[k] = v;
  }
  const fw = str(m['fw']);
  if (fw !== undefined) attributes['fw'] = fw.slice(0, 64);
  return ok([{ kind: ctx.kind, type: 'heartbeat', severity: 'info', deviceTime, attributes }]);
};
