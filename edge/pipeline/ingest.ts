import { checkEvent, type Event } from '../../protocol/event.ts';
import type { DeviceChannel } from '../../protocol/topics.ts';
import { describeProblems } from '../../protocol/validate.ts';
import { decode } from '../codecs/registry.ts';
import type { EventDraft } from '../codecs/types.ts';
import type { DeadLetter } from '../outbox/outbox.ts';
import type { Privacy } from './privacy.ts';
import type { DeviceEntry } from '../auth/registry.ts';
import type { EdgeTimeStandIn } from './edge-time.ts';
import { messageEventId, serialOf } from './ids.ts';

/**
 * The pure part of the hot path: one device message → canonical events, or one dead letter.
 * decode (the device's profile codec) → build Event v1 → privacy → validate the final event,
 * so what is checked is exactly what leaves the edge. Any failure turns the whole message into a
 * dead letter (raw bytes kept): half a message is never stored.
 */
export interface IngestContext {
  edge: string;
  timezone: string;
  maxPayloadBytes: number;
  /** Ids for edge-origin events; device messages get `messageEventId` (ids.ts). */
  mintId: () => string;
  privacy: Privacy;
  /** Clock policy: |receive time − device time| beyond this (ms) flags the event clockSuspect. */
  maxSkewMs: number;
  /**
   * The time a clockSuspect event is stored at: the receive time, never one ms twice per device
   * (edge-time.ts). State of this thread: one per ingest thread and one on the main thread.
   */
  standIn: EdgeTimeStandIn;
}

export type IngestResult =
  | { ok: true; events: Event[] }
  | { ok: false; deadLetter: DeadLetter };

/** Event v1 bounds device time to 2000-2100; a device with a reset clock must not lose its alarms. */
const MIN_TIME = 946_684_800_000;
const MAX_TIME = 4_102_444_800_000;

export function ingest(
  ctx: IngestContext,
  entry: DeviceEntry,
  channel: DeviceChannel,
  topic: string,
  payload: Buffer,
  receivedAt: number,
  /** The real payload size when the broker guard kept only a prefix of an oversized PUBLISH. */
  oversizedBytes?: number,
): IngestResult {
  const device = entry.device;
  if (oversizedBytes !== undefined || payload.length > ctx.maxPayloadBytes) {
    const size = oversizedBytes ?? payload.length;
    const kept = payload.subarray(0, 1024);
    return {
      ok: false,
      deadLetter: {
        at: receivedAt, device: device.id, topic, code: 'SS_PAYLOAD_TOO_LARGE',
        reason: `${size} bytes > broker.maxPayloadBytes ${ctx.maxPayloadBytes}; first ${kept.length} bytes kept`,
        payload: kept,
        size,
      },
    };
  }
  const r = decode(device.profile, channel, payload, { device: device.id, kind: device.kind, timezone: ctx.timezone, receivedAt });
  if (!r.ok) return dead(receivedAt, device.id, topic, payload, r.code, r.reason);
  const events: Event[] = new Array(r.drafts.length);
  for (let i = 0; i < r.drafts.length; i++) {
    const d = r.drafts[i] as EventDraft;
    const e = toEvent(ctx, entry, d, receivedAt, messageEventId(ctx.edge, device.id, serialOf(device.profile, channel, d.attributes), d, payload, i));
    const c = checkEvent(e);
    if (!c.ok) return dead(receivedAt, device.id, topic, payload, 'SS_EVENT_INVALID', describeProblems(c.problems).slice(0, 500));
    events[i] = e;
  }
  return { ok: true, events };
}

// Module level, not a closure per message: building a closure per call costs on the hot path.
function dead(at: number, device: string, topic: string, payload: Buffer, code: string, reason: string): IngestResult {
  return { ok: false, deadLetter: { at, device, topic, code, reason, payload } };
}

/** `id` defaults to a per-start id (edge-origin events); device messages pass their stable one. */
export function toEvent(ctx: IngestContext, entry: DeviceEntry, d: EventDraft, receivedAt: number, id: string = ctx.mintId()): Event {
  const device = entry.device;
  const attributes = ctx.privacy.apply(d.attributes);
  let deviceTime = d.deviceTime;
  let suspect = false;
  const reported = deviceTime;
  if (!(deviceTime >= MIN_TIME && deviceTime <= MAX_TIME)) {
    attributes['deviceTimeInvalid'] = true;
    suspect = true;
  } else if (receivedAt - deviceTime > ctx.maxSkewMs || deviceTime - receivedAt > ctx.maxSkewMs) {
    // Clock trust (issue 12): a device 5 h off, or reset to 2000, is stored at edge time, flagged,
    // with its own time kept; never rejected for its clock.
    suspect = true;
  }
  // Edge time, but not simply receivedAt: a busy device's events would share a millisecond and
  // could be one InfluxDB point at the hub (edge-time.ts). Decided here, once: it is in the body.
  if (suspect) deviceTime = ctx.standIn.next(device.id, receivedAt);
  const e: Event = {
    v: 1,
    id,
    deviceTime,
    receivedAt,
    district: entry.district,
    compound: device.compound,
    edge: ctx.edge,
    device: device.id,
    kind: d.kind,
    type: d.type,
    severity: d.severity,
    attributes,
  };
  if (suspect) {
    e.clockSuspect = true;
    if (Number.isSafeInteger(reported)) {
      e.deviceTimeReported = reported;
      e.clockSkewMs = receivedAt - reported;
    }
  }
  return e;
}
