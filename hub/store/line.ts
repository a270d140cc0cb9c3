import type { Event } from '../../protocol/event.ts';
import { MEASUREMENTS } from '../../protocol/names.ts';
import { escapeString, type FieldTypes } from './fields.ts';

/** Device events go to `events`; health the edge itself generated goes to `device_health`. */
export const MEASUREMENT_EVENTS = MEASUREMENTS.events;
export const MEASUREMENT_HEALTH = MEASUREMENTS.deviceHealth;

export function measurementOf(e: Event): string {
  return e.attributes['origin'] === 'edge' ? MEASUREMENT_HEALTH : MEASUREMENT_EVENTS;
}

/** Sub-millisecond slots per ms: the ns part of a point's time is one of these. */
const SUB_MS = 1_000_000;

/**
 * 32-bit FNV-1a over the UTF-16 code units (ids are ASCII), then murmur3's fmix32 finaliser:
 * FNV-1a alone mixes the last characters weakly, and event ids differ mostly in their trailing
 * counter. Frozen: points already in InfluxDB carry these values, so changing the function would
 * make a replay write a second point instead of overwriting the first (golden vectors in
 * test/hub/line-ns.test.ts).
 */
export function idHash32(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Nanosecond timestamp as a decimal string (it exceeds 2^53): deviceTime ms followed by six digits
 * derived from the event id. InfluxDB overwrites a point with the same series and time, so:
 *  - the same event written again (a retried write, a replay after a crash, a partition re-owned
 *    by another worker) gets the same time and overwrites itself: no process state is involved;
 *  - two different events of one series in one millisecond stay apart unless their ids hash to the
 *    same of the 10^6 slots.
 * Collision analysis: a series is measurement + all tags (device, type, severity, …), so only two
 * events of one device with the same type and severity in the same millisecond can collide, with
 * probability 10^-6 per such pair (k of them in one ms: ≈ k²/2·10^-6). At a city's 20,000 ev/s
 * over 100,000 devices (0.2 ev/s each, Poisson) ≈ 2·10^-4 of events share a device-millisecond
 * with another, ≈ 1.7·10^5 such pairs a day → ≈ 0.2 lost-overwrite points a day in the worst case,
 * fewer once type and severity must match too. The event itself is never lost (dedupe and the
 * state stores keep it by id); only the series would show one point instead of two. The bias of
 * 2^32 mod 10^6 (some slots 4,295 hashes, others 4,294) is 0.02 % and irrelevant here.
 * Clock-suspect events are outside this analysis: the edge stores them at a stand-in that never
 * gives one device the same millisecond twice (edge/pipeline/edge-time.ts); before that, a busy
 * device with a bad clock had hundreds per ms and lost points (bench/README.md).
 * No guard here on purpose: moving a colliding point to another time would make its time depend
 * on what else this process wrote, so a replay in another batch would write a second point; only
 * the edge, which decides once and stores the result in the body, can space events safely.
 */
export function nsTime(deviceTimeMs: number, eventId: string): string {
  const sub = idHash32(eventId) % SUB_MS;
  return `${deviceTimeMs}${String(sub).padStart(6, '0')}`;
}

/**
 * Pure: one event → one line of InfluxDB line protocol (precision ns). Ids and tag values need no
 * escaping: the Event schema restricts them to [A-Za-z0-9_.:-] / enumerations, and attribute keys
 * to [A-Za-z0-9_]. Tags are written in key order (InfluxDB's preferred, cheapest form).
 */
export function eventLine(e: Event, fields: FieldTypes): string {
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
  return `${line} ${nsTime(e.deviceTime, e.id)}`;
}
