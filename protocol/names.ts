import { LIFE_SAFETY_TYPES, type EventType } from './devices.ts';

/**
 * The names the hub writes to InfluxDB and the dashboards read, in one place: a panel that names
 * a measurement, tag or event type the hub does not write shows nothing and says nothing, so both
 * sides import these (hub/store/line.ts, hub/index/history.ts, dashboards/queries.ts).
 */
export const MEASUREMENTS = {
  /** Device events (hub/store/line.ts). */
  events: 'events',
  /** Health records the edge itself made (a device went silent, …). */
  deviceHealth: 'device_health',
  /** The index engine's history (hub/index/history.ts). */
  safetyIndex: 'safety_index',
  /** 共性问题: one point per case or device alarm, its current state (hub/cases/problem-points.ts). */
  problems: 'problems',
} as const;

/** Tags of `events` / `device_health` (line order) and of `safety_index`. */
export const EVENT_TAGS = ['compound', 'device', 'district', 'edge', 'kind', 'severity', 'type'] as const;
export const INDEX_TAGS = ['compound', 'district', 'policy'] as const;
/** Tags of `problems`: the keys of /api/insights (no case id, compound, department or text). */
export const PROBLEM_TAGS = ['district', 'kind', 'source'] as const;

/** Severities the dashboards count as alarms. */
export const ALARM_SEVERITIES = ['major', 'critical'] as const;

/** Life-safety event types (protocol/devices.ts LIFE_SAFETY_TYPES), sorted: one list for edge, hub and dashboards. */
export const LIFE_SAFETY: readonly EventType[] = [...LIFE_SAFETY_TYPES].sort();

/** An InfluxQL regex matching exactly `values` (ids and enum names need no escaping beyond `-`). */
export function exactRegex(values: readonly string[]): string {
  return `/^(${values.map((v) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$/`;
}
