import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy, AckPolicy, type JetStreamManager } from '@nats-io/jetstream';
import type { Event } from '../../protocol/event.ts';
import type { PartitionBatch } from '../../hub/cluster/ingress.ts';
import { EVENTS_STREAM, EVENT_SUBJECT_PREFIX } from '../../hub/cluster/partition.ts';

export const BASE_T = Date.UTC(2026, 10, 29, 8, 0, 0);

/** Event i of edge e (compound = the edge's compound; ids unique across edges). */
export function clusterEvent(edge: number, i: number, over: Partial<Event> = {}): Event {
  return {
    v: 1,
    id: `edge-${edge}:${BASE_T}:${String(i).padStart(6, '0')}`,
    deviceTime: BASE_T + i * 10,
    receivedAt: BASE_T + i * 10 + 5,
    district: 'd1',
    compound: `c${edge}`,
    edge: `edge-${edge}`,
    device: `c${edge}-dev-${i % 5}`,
    kind: 'fence',
    type: i % 50 === 0 ? 'fence-alarm' : 'heartbeat',
    severity: i % 50 === 0 ? 'major' : 'info',
    attributes: {},
    ...over,
  } as Event;
}

export function batchPayload(edge: number, events: Event[]): string {
  return JSON.stringify({ v: 1, edge: `edge-${edge}`, events });
}

export async function natsConnect(servers: string[]): Promise<NatsConnection> {
  // Unlimited reconnects and a short wait: tests kill servers under the client on purpose.
  return connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 5000 });
}

/** Every event id stored in the events stream, read back through a fresh ephemeral consumer. */
export async function storedEventIds(nc: NatsConnection): Promise<string[]> {
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const ci = await jsm.consumers.add(EVENTS_STREAM, {
    filter_subject: `${EVENT_SUBJECT_PREFIX}.*`,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: 30_000_000_000,
  });
  const total = ci.num_pending;
  const c = await jetstream(nc).consumers.get(EVENTS_STREAM, ci.name);
  const ids: string[] = [];
  let seen = 0;
  while (seen < total) {
    const it = await c.fetch({ max_messages: 500, expires: 2000 });
    for await (const m of it) {
      seen++;
      for (const e of m.json<PartitionBatch>().events) ids.push(e.id);
    }
  }
  await jsm.consumers.delete(EVENTS_STREAM, ci.name);
  return ids;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
