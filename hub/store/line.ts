import type { Event } from '../../protocol/event.ts';
import { escapeString, type FieldTypes } from './fields.ts';

/** Device events go to `events`; health the edge itself generated goes to `device_health`. */
export const MEASUREMENT_EVENTS = 'events';
export const MEASUREMENT_HEALTH = 'device_health';

export function measurementOf(e: Event): string {
  return e.attributes['origin'] === 'edge' ? MEASUREMENT_HEALTH : MEASUREMENT_EVENTS;
}

/** Sub-millisecond slots per ms: the queue sequence modulo this becomes the ns part of the time. */
const SUB_MS = 1_000_000;

/**
 * Nanosecond timestamp as a decimal string (it exceeds 2^53): deviceTime ms followed by six digits
 * from the queue sequence. InfluxDB overwrites a point with the same series and time, so two events
 * of one device in one millisecond must differ here; deriving it from the sequence (stored with the
 * line) makes a retried write rewrite the very same point.
 */
export function nsTime(deviceTimeMs: number, seq: number): string {
  const sub = seq % SUB_MS;
  return `${deviceTimeMs}${String(sub).padStart(6, '0')}`;
}

/**
 * Pure: one event → one line of InfluxDB line protocol (precision ns). Ids and tag values need no
 * escaping: the Event schema restricts them to [A-Za-z0-9_.:-] / enumerations, and attribute keys
 * to [A-Za-z0-9_]. Tags are written in key order (InfluxDB's preferred, cheapest form).
 */
export function eventLine(e: Event, seq: number, fields: FieldTypes): string {
  let line: string =
    `${measurementOf(e)},compound=${e.compound},device=${e.device},district=${e.district},edge=${e.edge}` +
    `,kind=${e.kind},severity=${e.severity},type=${e.type}` +
    ` id="${escapeString(e.id)}",receivedAt=${e.receivedAt}i`;
  // Sparse flag: written only when true. Every field is a series of its own inside InfluxDB, and a
  // constant `false` on every live event cost ~25 % more influxd CPU per point (bench/hub-ingest.ts).
  // Live events read back as backfilled = null; select replayed ones with `WHERE backfilled = true`.
  if (e.backfilled === true) line += ',backfilled=true';
  const s = e.score;
  if (s !== undefined) {
    line += `,score=${s.value},scoreThreshold=${s.threshold},scoreModel="${escapeString(s.model)}",anomalous=${s.anomalous ? 'true' : 'false'}`;
  }
  const attrs = e.attributes;
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== undefined) line += `,${fields.field(k, v)}`;
  }
  return `${line} ${nsTime(e.deviceTime, seq)}`;
}
