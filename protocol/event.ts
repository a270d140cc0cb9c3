import Type from 'typebox';
import { ID_PATTERN } from './ids.ts';
import { ALL_EVENT_TYPES, DEVICE_KINDS, SEVERITIES, isEventTypeOfKind, type DeviceKind, type EventType, type Severity } from './devices.ts';
import { compileChecker, type Checked } from './validate.ts';

export const EVENT_VERSION = 1;

const Id = Type.String({ pattern: ID_PATTERN });
/** Epoch milliseconds, bounded to 2000-01-01 … 2100-01-01 so a seconds/ms mix-up is caught. */
const EpochMs = Type.Integer({ minimum: 946_684_800_000, maximum: 4_102_444_800_000 });
const AttributeValue = Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]);

/**
 * Canonical Event v1: what every codec produces and the hub stores. Personal data never rides here
 * raw: the edge's privacy stage replaces plates, card numbers and names with keyed hashes.
 */
export const EventSchema = Type.Object(
  {
    v: Type.Literal(EVENT_VERSION),
    /** Unique, minted by the edge (edge id + time + counter): the hub's dedupe key. */
    id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,100}$' }),
    /** When the device says it happened (ms). */
    deviceTime: EpochMs,
    /** When the edge received it (ms); device clock drift = receivedAt - deviceTime. */
    receivedAt: EpochMs,
    district: Id,
    compound: Id,
    edge: Id,
    device: Id,
    kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
    type: Type.Union(ALL_EVENT_TYPES.map((t) => Type.Literal(t))),
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
    // propertyNames, not a key pattern: a Record key pattern only selects which keys the value
    // schema applies to, it does not refuse the others.
    attributes: Type.Record(Type.String(), AttributeValue, {
      maxProperties: 32,
      propertyNames: { pattern: '^[A-Za-z0-9_]{1,40}$' },
    }),
    /**
     * The device's clock is not trusted for this event (issue 12): receive time − device time was
     * beyond the edge's policy bound (or the time was out of range), so `deviceTime` is the edge's
     * receive time (moved on by whole ms where one device's events would share one, never two
     * of a device in one ms: edge/pipeline/edge-time.ts) and the device's own time is in
     * `deviceTimeReported`.
     */
    clockSuspect: Type.Optional(Type.Boolean()),
    /** The device time as the device reported it (ms), when clockSuspect. */
    deviceTimeReported: Type.Optional(Type.Integer()),
    /** receivedAt − reported device time (ms), when clockSuspect; otherwise receivedAt − deviceTime. */
    clockSkewMs: Type.Optional(Type.Integer()),
    /** True when the uplink replayed it after an outage rather than sending it live. */
    backfilled: Type.Optional(Type.Boolean()),
    /** Anomaly score from the edge's model, when one ran. */
    score: Type.Optional(
      Type.Object(
        { value: Type.Number(), threshold: Type.Number(), model: Type.String({ maxLength: 64 }), anomalous: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export interface Event {
  v: 1;
  id: string;
  deviceTime: number;
  receivedAt: number;
  district: string;
  compound: string;
  edge: string;
  device: string;
  kind: DeviceKind;
  type: EventType;
  severity: Severity;
  attributes: Record<string, string | number | boolean>;
  clockSuspect?: boolean;
  deviceTimeReported?: number;
  clockSkewMs?: number;
  backfilled?: boolean;
  score?: { value: number; threshold: number; model: string; anomalous: boolean };
}

const checkShape = compileChecker<Event>(EventSchema);

/** Validate an unknown value as Event v1, including the kind ↔ type pairing the schema can't say. */
export function checkEvent(value: unknown): Checked<Event> {
  const r = checkShape(value);
  if (!r.ok) return r;
  if (!isEventTypeOfKind(r.value.kind, r.value.type)) {
    return { ok: false, problems: [{ path: '/type', message: `'${r.value.type}' is not an event type of kind '${r.value.kind}'` }] };
  }
  return r;
}

/** Edge → hub uplink message: a batch of events from one edge. */
export const EVENT_BATCH_MAX = 1000;

export interface EventBatch {
  v: 1;
  edge: string;
  events: unknown[];
}

/**
 * Batches are checked in two steps: the envelope here, then each event on its own, so one bad
 * event is dead-lettered by the hub without losing the other events of its batch.
 */
export const EventBatchSchema = Type.Object(
  {
    v: Type.Literal(EVENT_VERSION),
    edge: Id,
    events: Type.Array(Type.Unknown(), { maxItems: EVENT_BATCH_MAX }),
  },
  { additionalProperties: false },
);
export const checkEventBatch = compileChecker<EventBatch>(EventBatchSchema);
