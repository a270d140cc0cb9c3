import Type from 'typebox';
import { ID_PATTERN } from './ids.ts';
import { ALL_EVENT_TYPES, DEVICE_KINDS, SEVERITIES, isEventTypeOfKind, type DeviceKind, type EventType, type Severity } from './devices.ts';
import { compileChecker, type Checked } from './validate.ts';
import {
  ATTRIBUTE_KEY_PATTERN, ATTRIBUTE_MAX_LENGTH, ATTRIBUTES_MAX, EPOCH_MAX, EPOCH_MIN, EVENT_ID_PATTERN, OPTIONAL_KEYS, REQUIRED_KEYS,
  SCORE_MODEL_MAX_LENGTH, surelyEventShape,
} from './event-accept.ts';

export const EVENT_VERSION = 1;

const Id = Type.String({ pattern: ID_PATTERN });
/** Epoch milliseconds, bounded to 2000-01-01 … 2100-01-01 so a seconds/ms mix-up is caught. */
const EpochMs = Type.Integer({ minimum: EPOCH_MIN, maximum: EPOCH_MAX });
const AttributeValue = Type.Union([Type.String({ maxLength: ATTRIBUTE_MAX_LENGTH }), Type.Number(), Type.Boolean()]);

/**
 * Canonical Event v1: what every codec produces and the hub stores. Personal data never rides here
 * raw: the edge's privacy stage replaces plates, card numbers and names with keyed hashes.
 */
export const EventSchema = Type.Object(
  {
    v: Type.Literal(EVENT_VERSION),
    /** Unique, minted by the edge (edge id + time + counter): the hub's dedupe key. */
    id: Type.String({ pattern: EVENT_ID_PATTERN }),
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
      maxProperties: ATTRIBUTES_MAX,
      propertyNames: { pattern: ATTRIBUTE_KEY_PATTERN },
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
        { value: Type.Number(), threshold: Type.Number(), model: Type.String({ maxLength: SCORE_MODEL_MAX_LENGTH }), anomalous: Type.Boolean() },
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

// The fast accept (event-accept.ts) knows exactly these properties; a schema that grew or lost
// one must not be half-checked by it.
{
  const props = Object.keys(EventSchema.properties).sort().join();
  const known = [...REQUIRED_KEYS, ...OPTIONAL_KEYS].sort().join();
  const required = [...(EventSchema.required ?? [])].sort().join();
  if (props !== known || required !== [...REQUIRED_KEYS].sort().join()) {
    throw new Error(`SS_PROTOCOL_EVENT_ACCEPT: protocol/event-accept.ts handles ${known} (required ${REQUIRED_KEYS.join()}), the schema has ${props} (required ${required}); update it`);
  }
}

/** Validate an unknown value as Event v1, including the kind ↔ type pairing the schema can't say. */
export function checkEvent(value: unknown): Checked<Event> {
  // Certainly valid (the common case) → no compiled check; anything else gets TypeBox's verdict.
  if (surelyEventShape(value) && isEventTypeOfKind((value as Event).kind, (value as Event).type)) return { ok: true, value: value as Event };
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
