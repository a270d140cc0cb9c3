import type { EventType } from '../../protocol/devices.ts';
import { defaultSeverity, deviceIp, deviceMac, firstEvent, hint, isoWithOffset, num, str, unsupported } from './common.ts';
import type { ProfileEncoder } from './types.ts';

/** Hikvision ISAPI AccessControllerEvent (VENDORS.md `hik-access`). Major 5 = access, 1 = alarm. */
const DENIED_SUB: Record<string, number> = {
  'no-permission': 0x06, 'outside-schedule': 0x07, expired: 0x08, 'unknown-card': 0x09,
  'face-fail': 0x4c, liveness: 0x68, blacklist: 0x71,
};

const FORCED_SUB: Record<string, number> = { door: 0x1b, entry: 0x87, climb: 0x88 };

function code(type: EventType, attrs: Record<string, unknown>, how: string): { major: number; sub: number; cardType: number } {
  switch (type) {
    case 'granted': {
      const m = attrs['method'];
      return { major: 5, sub: m === 'face' ? 0x4b : m === 'remote' ? 0x400 : 0x01, cardType: 1 };
    }
    case 'duress': return { major: 5, sub: 0x01, cardType: 3 };
    case 'denied': return { major: 5, sub: DENIED_SUB[str(attrs['reason'], 'no-permission')] ?? 0x06, cardType: 1 };
    case 'anti-passback': return { major: 5, sub: how === 'reverse' ? 0x86 : 0x0a, cardType: 1 };
    case 'door-forced': return { major: 5, sub: FORCED_SUB[how || 'door'] ?? 0x1b, cardType: 1 };
    case 'door-held': return { major: 5, sub: 0x1c, cardType: 1 };
    case 'door-closed': return { major: 5, sub: 0x1a, cardType: 1 };
    case 'tailgating': return { major: 5, sub: 0x85, cardType: 1 };
    case 'repeated-denied': return { major: 5, sub: 0x94, cardType: 1 };
    case 'tamper': return { major: 1, sub: how === 'reader' ? 0x406 : 0x404, cardType: 1 };
    default: throw unsupported('hik-access', type);
  }
}

const WITH_CARD = new Set<EventType>(['granted', 'duress', 'denied', 'anti-passback', 'repeated-denied']);

export const hikAccess: ProfileEncoder = {
  profile: 'hik-access',
  kind: 'access',
  supports: new Set<EventType>(['granted', 'denied', 'duress', 'anti-passback', 'door-forced', 'door-held', 'door-closed', 'tailgating', 'repeated-denied', 'tamper']),
  multi: false,
  severity: defaultSeverity,
  encode(intent, ctx) {
    const e = firstEvent(intent, 'hik-access');
    const a = e.attributes;
    const c = code(e.type, a, hint(intent, 'how'));
    const door = num(a['door'], ctx.device.zone ?? 1);
    const body: Record<string, unknown> = {
      deviceName: `Door ${door}`,
      majorEventType: c.major,
      subEventType: c.sub,
    };
    if (WITH_CARD.has(e.type) && typeof a['card'] === 'string') {
      body['cardNo'] = a['card'];
      body['cardType'] = c.cardType;
      if (typeof a['employee'] === 'string') body['employeeNoString'] = a['employee'];
      if (typeof a['person'] === 'string') body['name'] = a['person'];
    } else if (e.type === 'duress') {
      body['cardType'] = 3;
    }
    body['cardReaderNo'] = door;
    body['doorNo'] = door;
    body['verifyNo'] = 133;
    body['currentVerifyMode'] = a['method'] === 'face' ? 'face' : 'cardOrFace';
    body['serialNo'] = ctx.seq;
    body['attendanceStatus'] = 'undefined';
    const payload = {
      ipAddress: deviceIp(ctx.device.id, 20),
      macAddress: deviceMac(ctx.device.id, '44:19:b6'),
      channelID: 1,
      dateTime: isoWithOffset(intent.deviceTime, ctx.tzOffsetMinutes),
      activePostCount: 1,
      eventType: 'AccessControllerEvent',
      eventState: 'active',
      eventDescription: 'Access Controller Event',
      AccessControllerEvent: body,
    };
    return { payload: JSON.stringify(payload), expectedEvents: 1 };
  },
};
