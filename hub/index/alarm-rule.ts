import type { Event } from '../../protocol/event.ts';
import type { Policy } from '../policy/policy-schema.ts';

/**
 * Which events open a device alarm, and with what: ONE rule for the embedded hub
 * (IndexRating → SQLite index_alarms) and the cluster's partition owners (PgPartitionState →
 * PostgreSQL alarms), so the same events open the same alarms in both modes.
 *
 *  - The event's type is one the policy weighs (`iot.weights`): only those can ever score once an
 *    operator confirms them (DOMAIN.md "IoT"), so only those wait for an operator. Severity plays
 *    no part (a `major` power-loss is not an alarm; a `minor` tamper is).
 *  - The event was not made by the edge itself (`attributes.origin === 'edge'`: the edge's own
 *    health records, e.g. offline after missed heartbeats, are states, not alarms).
 *  - It occurred at min(device time, the hub's now): a device clock ahead of the hub cannot date
 *    an alarm in the future (the look-back and the pruning order go by this time).
 */

/** The origin of an event no one marked: a device's own message (every codec's output). */
export const DEVICE_ORIGIN = 'device';
/** Events the edge made itself (health records): never alarms. */
export const EDGE_ORIGIN = 'edge';

export interface OpenedAlarm {
  id: string;
  compound: string;
  device: string;
  type: string;
  occurredAt: number;
  /** Who made the event: `attributes.origin` when the event carries one, else 'device'. */
  origin: string;
  /** The edge's anomaly score of the event, when its model ran. */
  score?: NonNullable<Event['score']>;
}

/** Who made an event: its `origin` attribute (the edge sets 'edge' on its own records), else a device. */
export function originOf(e: Pick<Event, 'attributes'>): string {
  const o = e.attributes['origin'];
  return typeof o === 'string' && o.length > 0 ? o : DEVICE_ORIGIN;
}

/** The alarm an event opens, or undefined when it opens none. */
export function alarmOf(policy: Policy, e: Event, now: number): OpenedAlarm | undefined {
  if (!Object.hasOwn(policy.iot.weights, e.type)) return undefined;
  const origin = originOf(e);
  if (origin === EDGE_ORIGIN) return undefined;
  return { id: e.id, compound: e.compound, device: e.device, type: e.type, occurredAt: Math.min(e.deviceTime, now), origin, ...(e.score ? { score: e.score } : {}) };
}

/** The alarms a run of (deduplicated) events opens, in the events' order; a repeated id opens one. */
export function alarmsOf(policy: Policy, events: readonly Event[], now: number): OpenedAlarm[] {
  const out: OpenedAlarm[] = [];
  const ids = new Set<string>();
  for (const e of events) {
    const a = alarmOf(policy, e, now);
    if (a && !ids.has(a.id)) {
      ids.add(a.id);
      out.push(a);
    }
  }
  return out;
}
