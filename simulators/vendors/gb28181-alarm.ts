import { severityFromGbPriority, type EventType, type Severity } from '../../protocol/devices.ts';
import { hash32 } from '../random.ts';
import { defaultSeverity, firstEvent, localPlain, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/**
 * GB/T 28181 alarm notify, XML (VENDORS.md `gb28181-alarm`). DeviceID = 8-digit centre code
 * (Xiamen 35020000) + 2-digit industry + 3-digit type (132 IPC) + network digit + 6-digit serial.
 */
const VIDEO: Partial<Record<EventType, number>> = { motion: 2, 'line-crossing': 5, 'intrusion-enter': 6, 'intrusion-leave': 6, loitering: 8, 'crowd-density': 10 };
const DEVICE: Partial<Record<EventType, number>> = { 'video-loss': 1, tamper: 2, 'disk-fault': 3 };

/** Alarm priority the camera sets: 1 highest … 4 lowest; the codec maps it to severity. */
function priority(type: EventType): number {
  const s = defaultSeverity(type);
  return s === 'critical' ? 1 : s === 'major' ? 2 : s === 'minor' ? 3 : 4;
}

const gbIds = new Map<string, string>();

export function gbDeviceId(deviceId: string): string {
  let id = gbIds.get(deviceId);
  if (id === undefined) {
    id = `35020000001320${String(hash32(deviceId) % 1_000_000).padStart(6, '0')}`;
    if (gbIds.size < 200_000) gbIds.set(deviceId, id);
  }
  return id;
}

const DESCRIPTION: Partial<Record<EventType, string>> = {
  motion: 'motion', 'line-crossing': 'tripwire', 'intrusion-enter': 'intrusion', 'intrusion-leave': 'intrusion leave',
  loitering: 'loitering', 'crowd-density': 'crowd density', 'video-loss': 'video loss', tamper: 'tamper',
  'disk-fault': 'disk full', fault: 'device fault',
};

export const gb28181Alarm: ProfileEncoder = {
  profile: 'gb28181-alarm',
  kind: 'camera',
  supports: new Set<EventType>([...(Object.keys(VIDEO) as EventType[]), ...(Object.keys(DEVICE) as EventType[]), 'fault']),
  multi: false,
  severity(type: EventType): Severity {
    return severityFromGbPriority(priority(type));
  },
  encode(intent, ctx) {
    const e = firstEvent(intent, 'gb28181-alarm');
    let method: number;
    let info = '';
    if (VIDEO[e.type] !== undefined) {
      method = 5;
      const param = e.type === 'intrusion-enter' ? 1 : e.type === 'intrusion-leave' ? 2 : 0;
      info = `<Info><AlarmType>${VIDEO[e.type]}</AlarmType>${param ? `<AlarmTypeParam><EventType>${param}</EventType></AlarmTypeParam>` : ''}</Info>`;
    } else if (DEVICE[e.type] !== undefined) {
      method = 2;
      info = `<Info><AlarmType>${DEVICE[e.type]}</AlarmType></Info>`;
    } else if (e.type === 'fault') {
      method = 6;
    } else {
      throw unsupported('gb28181-alarm', e.type);
    }
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Notify><CmdType>Alarm</CmdType><SN>${ctx.seq}</SN><DeviceID>${gbDeviceId(ctx.device.id)}</DeviceID>` +
      `<AlarmPriority>${priority(e.type)}</AlarmPriority><AlarmMethod>${method}</AlarmMethod>` +
      `<AlarmTime>${localPlain(intent.deviceTime, ctx.tzOffsetMinutes, 'T')}</AlarmTime>` +
      `<AlarmDescription>${DESCRIPTION[e.type] ?? e.type}</AlarmDescription>` +
      `<Longitude>${ctx.compound.lon.toFixed(4)}</Longitude><Latitude>${ctx.compound.lat.toFixed(4)}</Latitude>` +
      `${info}</Notify>`;
    return { payload: xml, expectedEvents: 1 };
  },
};
