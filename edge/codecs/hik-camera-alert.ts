import type { EventType, Severity } from '../../protocol/devices.ts';
import { fail, ok, type Codec, type EventDraft } from './types.ts';
import { idStr, isObject, num, parseDeviceTime, parseJsonObject, str, timeFail } from './util.ts';

/**
 * `hik-camera-alert`: Hikvision alert stream (VENDORS.md). Alerts are pulses; `inactive` is
 * Hikvision's idle keep-alive ("videoloss inactive"), decoded as zero events.
 */
const TYPES: Record<string, [EventType, Severity]> = {
  VMD: ['motion', 'info'],
  linedetection: ['line-crossing', 'minor'],
  fielddetection: ['intrusion-enter', 'major'],
  regionEntrance: ['intrusion-enter', 'major'],
  regionExiting: ['intrusion-leave', 'info'],
  loitering: ['loitering', 'minor'],
  peopleDetection: ['crowd-density', 'minor'],
  videoloss: ['video-loss', 'minor'],
  tamperdetection: ['tamper', 'major'],
  shelteralarm: ['tamper', 'major'],
  diskfull: ['disk-fault', 'minor'],
  diskerror: ['disk-fault', 'minor'],
};
/** People counts below this are ordinary traffic, not crowd density (VENDORS.md). */
const CROWD_MIN = 10;

export const hikCameraAlert: Codec = (payload, ctx) => {
  const p = parseJsonObject(payload);
  if (!p.ok) return p.result;
  const m = p.value;
  const eventType = str(m['eventType']);
  const t = eventType === undefined ? undefined : TYPES[eventType];
  if (!t) return fail('SS_CODEC_UNKNOWN_CODE', `eventType ${JSON.stringify(m['eventType'])?.slice(0, 40)} is not mapped`);
  if (m['eventState'] === 'inactive') return ok([]);
  const deviceTime = parseDeviceTime(m['dateTime'], ctx.timezone);
  if (deviceTime === undefined) return timeFail('dateTime', m['dateTime']);
  const attributes: EventDraft['attributes'] = { alert: eventType as string };
  const channel = num(m['channelID']);
  if (channel !== undefined) attributes['channel'] = channel;
  const regions = m['DetectionRegionList'];
  if (Array.isArray(regions) && isObject(regions[0])) {
    const entry = regions[0]['DetectionRegionEntry'];
    const region = isObject(entry) ? idStr(entry['regionID']) : undefined;
    if (region !== undefined) attributes['region'] = region;
  }
  if (eventType === 'peopleDetection') {
    const count = num(m['peopleCount']);
    if (count === undefined) return fail('SS_CODEC_SHAPE', 'peopleDetection needs a numeric peopleCount');
    if (count < CROWD_MIN) return ok([]);
    attributes['peopleCount'] = count;
  }
  return ok([{ kind: 'camera', type: t[0], severity: t[1], deviceTime, attributes }]);
};
