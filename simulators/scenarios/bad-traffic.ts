import type { CityCompound, CityDevice } from '../../protocol/city.ts';
import { deviceTopic } from '../../protocol/topics.ts';
import type { Rng } from '../random.ts';
import { encodeHeartbeat, encoderFor, type BadKind, type Intent } from '../vendors/index.ts';
import type { PlannedMessage, TruthRecord } from './types.ts';

/**
 * Bad traffic on purpose (issue 3): each kind is a few raw messages plus a truth record saying
 * what a correct edge does with them: dead-letter (accepted, not decoded) or refuse.
 */
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/** Numbers become words and times become booleans: valid JSON, wrong types everywhere. */
function wrongTypes(value: unknown): unknown {
  if (typeof value === 'number') return 'n/a';
  if (typeof value === 'string' && ISO_LIKE.test(value)) return true;
  if (Array.isArray(value)) return value.map(wrongTypes);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrongTypes(v)]));
  return value;
}

/** A valid vendor payload for the device (the baseline each bad kind distorts). */
function validPayload(device: CityDevice, compound: CityCompound, at: number, seq: number): string {
  const enc = encoderFor(device.profile);
  const type = [...enc.supports][0];
  if (!type) throw new Error(`SS_SIM_BAD_NO_TYPE: profile ${device.profile} supports no event type`);
  const intent: Intent = { kind: device.kind, channel: 'events', time: at, deviceTime: at, events: [{ type, severity: enc.severity(type), attributes: { zone: 1, door: 1, lane: 1 } }] };
  const out = enc.encode(intent, { device, compound, seq, tzOffsetMinutes: 480 });
  return typeof out.payload === 'string' ? out.payload : out.payload.toString('utf8');
}

export interface BadContext {
  id: string;
  bad: BadKind;
  compound: CityCompound;
  at: number;
  rng: Rng;
  count?: number;
}

export function planBad(c: BadContext): { truth: TruthRecord; messages: PlannedMessage[] } {
  const device = c.rng.pick(c.compound.devices);
  const topic = deviceTopic(c.compound.id, device.kind, device.id, 'events');
  const base = { device: device.id, compound: c.compound.id, channel: 'events' as const, events: [], truthId: c.id };
  const valid = validPayload(device, c.compound, c.at, 900_000 + c.rng.int(0, 99_999));
  const messages: PlannedMessage[] = [];
  let expect: TruthRecord['expect'] = {};
  let devices = [device.id];
  let notes = '';
  switch (c.bad) {
    case 'malformed-json': {
      // Cut mid-document, as a device with a full send buffer does.
      const payload = device.profile === 'gb28181-alarm' ? valid.slice(0, Math.floor(valid.length / 2)) : `${valid.slice(0, Math.floor(valid.length * 0.6))}`;
      messages.push({ ...base, at: c.at, raw: { payload, bad: c.bad } });
      expect = { deadLetters: 1 };
      notes = 'payload truncated mid-document';
      break;
    }
    case 'wrong-types': {
      const payload = device.profile === 'gb28181-alarm'
        ? valid.replace(/<AlarmPriority>\d<\/AlarmPriority>/, '<AlarmPriority>high</AlarmPriority>').replace(/<AlarmTime>[^<]*<\/AlarmTime>/, '<AlarmTime>yesterday</AlarmTime>').replace(/<AlarmMethod>\d<\/AlarmMethod>/, '<AlarmMethod>video</AlarmMethod>')
        : JSON.stringify(wrongTypes(JSON.parse(valid)));
      messages.push({ ...base, at: c.at, raw: { payload, bad: c.bad } });
      expect = { deadLetters: 1 };
      notes = 'numbers sent as words, times as booleans';
      break;
    }
    case 'oversized': {
      // A snapshot inlined as base64 instead of a URL: 200 KiB, over the site's 64 KiB limit.
      const obj = JSON.parse(device.profile === 'gb28181-alarm' ? '{}' : valid) as Record<string, unknown>;
      obj['SnapBase64'] = 'A'.repeat(200 * 1024);
      messages.push({ ...base, at: c.at, raw: { payload: JSON.stringify(obj), bad: c.bad } });
      expect = { refused: 1 };
      notes = '200 KiB payload (limit 64 KiB), sent as the device on its own link: it must reach the size limit';
      break;
    }
    case 'unknown-device': {
      const ghost = `${c.compound.id}-acc-x${c.rng.int(100, 999)}`;
      devices = [ghost];
      messages.push({ ...base, device: ghost, at: c.at, raw: { payload: valid, topic: deviceTopic(c.compound.id, 'access', ghost, 'events'), bad: c.bad, credentials: { username: ghost, password: c.rng.token(12) } } });
      expect = { refused: 1 };
      notes = 'a device id the site does not know, with a guessed password';
      break;
    }
    case 'wrong-topic': {
      const other = c.compound.devices.find((d) => d.id !== device.id) ?? device;
      const wrong = other === device ? `ss/v1/dev/${c.compound.id}/${device.kind}/${device.id}/firmware` : deviceTopic(c.compound.id, other.kind, other.id, 'events');
      messages.push({ ...base, at: c.at, raw: { payload: valid, topic: wrong, bad: c.bad } });
      expect = { refused: 1 };
      notes = `published as the device on ${wrong}, outside its own prefix: it must reach the topic ACL`;
      break;
    }
    case 'flood': {
      const n = c.count ?? 300;
      const hbTopic = deviceTopic(c.compound.id, device.kind, device.id, 'heartbeat');
      for (let i = 0; i < n; i++) {
        const at = c.at + Math.floor((i * 1000) / n);
        const intent: Intent = { kind: device.kind, channel: 'heartbeat', time: at, deviceTime: at, events: [] };
        const payload = encodeHeartbeat(intent, { device, compound: c.compound, seq: i, tzOffsetMinutes: 480 }, at - 3_600_000).payload;
        messages.push({ ...base, channel: 'heartbeat', at, raw: { payload, topic: hbTopic, bad: c.bad } });
      }
      expect = {};
      notes = `${n} heartbeats in 1 s (site limit 50/s): the edge should rate-limit and count, not crash`;
      break;
    }
    case 'duplicate': {
      const n = c.count ?? 2;
      for (let i = 0; i < n; i++) messages.push({ ...base, at: c.at + i * 50, raw: { payload: valid, topic, bad: c.bad } });
      expect = {};
      notes = `the same payload ${n} times within ${(n - 1) * 50} ms (the edge may drop repeats by serial)`;
      break;
    }
  }
  const times = messages.map((m) => m.at);
  return {
    truth: { id: c.id, scenario: `bad-${c.bad}`, compound: c.compound.id, devices, start: Math.min(...times), end: Math.max(...times), expect, notes },
    messages,
  };
}
