import { isSafeId } from './ids.ts';
import { DEVICE_KINDS, type DeviceKind } from './devices.ts';

/**
 * The one topic grammar (ARCHITECTURE.md). Every topic is built and parsed here.
 *
 *   device → edge   ss/v1/dev/{compound}/{kind}/{device}/{channel}
 *                   channel: events | heartbeat | state (Last Will: "offline")
 *   edge → hub      ss/v1/edge/{edge}/events    (EventBatch, QoS 1)
 *                   ss/v1/edge/{edge}/state     (retained edge status; Last Will: offline)
 */
export const TOPIC_ROOT = 'ss/v1';

export const DEVICE_CHANNELS = ['events', 'heartbeat', 'state'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];
export const EDGE_CHANNELS = ['events', 'state'] as const;
export type EdgeChannel = (typeof EDGE_CHANNELS)[number];

export interface DeviceTopic {
  scope: 'device';
  compound: string;
  kind: DeviceKind;
  device: string;
  channel: DeviceChannel;
}

export interface EdgeTopic {
  scope: 'edge';
  edge: string;
  channel: EdgeChannel;
}

export type Topic = DeviceTopic | EdgeTopic;

export type TopicParse = { ok: true; topic: Topic } | { ok: false; reason: string };

function assertId(name: string, value: string): void {
  if (!isSafeId(value)) throw new Error(`SS_TOPIC_ID: ${name} '${value}' must match [A-Za-z0-9_.-]{1,64}`);
}

export function deviceTopic(compound: string, kind: DeviceKind, device: string, channel: DeviceChannel): string {
  assertId('compound', compound);
  assertId('device', device);
  return `${TOPIC_ROOT}/dev/${compound}/${kind}/${device}/${channel}`;
}

/** The prefix a device may publish under; the broker's ACL keeps each device inside it. */
export function devicePrefix(compound: string, kind: DeviceKind, device: string): string {
  assertId('compound', compound);
  assertId('device', device);
  return `${TOPIC_ROOT}/dev/${compound}/${kind}/${device}/`;
}

export function edgeTopic(edge: string, channel: EdgeChannel): string {
  assertId('edge', edge);
  return `${TOPIC_ROOT}/edge/${edge}/${channel}`;
}

/** Subscription filters the hub and tools use. */
export const EDGE_EVENTS_FILTER = `${TOPIC_ROOT}/edge/+/events`;
export const EDGE_STATE_FILTER = `${TOPIC_ROOT}/edge/+/state`;
export const DEVICE_FILTER = `${TOPIC_ROOT}/dev/#`;

export function parseTopic(topic: string): TopicParse {
  const parts = topic.split('/');
  if (parts.length < 3 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) {
    return { ok: false, reason: `topic must start with '${TOPIC_ROOT}/'` };
  }
  const scope = parts[2];
  if (scope === 'dev') {
    if (parts.length !== 7) return { ok: false, reason: 'device topic must be ss/v1/dev/{compound}/{kind}/{device}/{channel}' };
    const [, , , compound = '', kind = '', device = '', channel = ''] = parts;
    if (!isSafeId(compound)) return { ok: false, reason: `bad compound id '${compound}'` };
    if (!(DEVICE_KINDS as readonly string[]).includes(kind)) return { ok: false, reason: `unknown device kind '${kind}'` };
    if (!isSafeId(device)) return { ok: false, reason: `bad device id '${device}'` };
    if (!(DEVICE_CHANNELS as readonly string[]).includes(channel)) return { ok: false, reason: `unknown device channel '${channel}'` };
    return { ok: true, topic: { scope: 'device', compound, kind: kind as DeviceKind, device, channel: channel as DeviceChannel } };
  }
  if (scope === 'edge') {
    if (parts.length !== 5) return { ok: false, reason: 'edge topic must be ss/v1/edge/{edge}/{channel}' };
    const [, , , edge = '', channel = ''] = parts;
    if (!isSafeId(edge)) return { ok: false, reason: `bad edge id '${edge}'` };
    if (!(EDGE_CHANNELS as readonly string[]).includes(channel)) return { ok: false, reason: `unknown edge channel '${channel}'` };
    return { ok: true, topic: { scope: 'edge', edge, channel: channel as EdgeChannel } };
  }
  return { ok: false, reason: `unknown topic scope '${scope ?? ''}'` };
}
