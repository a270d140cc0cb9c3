import type { EventType } from '../../protocol/devices.ts';
import { defaultSeverity, deviceIp, firstEvent, hint, isoWithOffset, num, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/** Hikvision alert stream JSON (VENDORS.md `hik-camera-alert`). Alerts are pulses. */
function hikType(type: EventType, variant: string): string {
  switch (type) {
    case 'motion': return 'VMD';
    case 'line-crossing': return 'linedetection';
    case 'intrusion-enter': return variant === 'region' ? 'regionEntrance' : 'fielddetection';
    case 'intrusion-leave': return 'regionExiting';
    case 'loitering': return 'loitering';
    case 'crowd-density': return 'peopleDetection';
    case 'video-loss': return 'videoloss';
    case 'tamper': return variant === 'shelter' ? 'shelteralarm' : 'tamperdetection';
    case 'disk-fault': return variant === 'error' ? 'diskerror' : 'diskfull';
    default: throw unsupported('hik-camera-alert', type);
  }
}

const WITH_REGION = new Set(['linedetection', 'fielddetection', 'regionEntrance', 'regionExiting', 'loitering']);

export const hikCameraAlert: ProfileEncoder = {
  profile: 'hik-camera-alert',
  kind: 'camera',
  supports: new Set<EventType>(['motion', 'line-crossing', 'intrusion-enter', 'intrusion-leave', 'loitering', 'crowd-density', 'video-loss', 'tamper', 'disk-fault']),
  multi: false,
  severity: defaultSeverity,
  encode(intent, ctx) {
    const base = {
      ipAddress: deviceIp(ctx.device.id, 30),
      channelID: 1,
      dateTime: isoWithOffset(intent.deviceTime, ctx.tzOffsetMinutes),
      activePostCount: 1,
    };
    if (intent.marker) {
      // Hikvision's keep-alive: "videoloss inactive", no event.
      const payload = { ...base, eventType: 'videoloss', eventState: 'inactive', eventDescription: 'videoloss alarm' };
      return { payload: JSON.stringify(payload), expectedEvents: 0 };
    }
    const e = firstEvent(intent, 'hik-camera-alert');
    const a = e.attributes;
    const eventType = hikType(e.type, hint(intent, 'variant'));
    const payload: Record<string, unknown> = {
      ...base,
      eventType,
      eventState: 'active',
      eventDescription: `${eventType} alarm`,
    };
    if (WITH_REGION.has(eventType)) {
      payload['DetectionRegionList'] = [{ DetectionRegionEntry: { regionID: String(num(a['region'], 1)), sensitivityLevel: 50 } }];
    }
    if (eventType === 'peopleDetection') payload['peopleCount'] = Math.max(10, num(a['peopleCount'], 12));
    return { payload: JSON.stringify(payload), expectedEvents: 1 };
  },
};
