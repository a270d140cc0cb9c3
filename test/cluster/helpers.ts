import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy, AckPolicy, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
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

/**
 * The messages of the events stream on `subject` (a subject or a `prefix.*` wildcard), every one
 * up to the stream's last sequence. The ephemeral consumer that reads them is R1 and lands on any
 * replica, possibly a just-restarted one whose store is still behind: its `num_pending` at
 * creation is that replica's count, not the stream's (seen: 236 of 240), and a read that stopped
 * there once missed the last 4 acked batches. So the end is the last sequence the stream leader
 * reports (STREAM.INFO is answered by the leader), and the read waits until the replica delivered
 * it; a replica that never does fails with how far it got instead of hanging.
 */
export async function storedMessages(nc: NatsConnection, subject: string, timeoutMs = 60_000): Promise<JsMsg[]> {
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const lastSeq = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
  if (lastSeq === 0) return [];
  // Unfiltered, so the last sequence is delivered whichever subject it is on; filtered here.
  const ci = await jsm.consumers.add(EVENTS_STREAM, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, inactive_threshold: 30_000_000_000 });
  const c = await jetstream(nc).consumers.get(EVENTS_STREAM, ci.name);
  const wildcard = subject.endsWith('.*') ? subject.slice(0, -1) : undefined;
  const out: JsMsg[] = [];
  const deadline = Date.now() + timeoutMs;
  let seq = 0;
  try {
    while (seq < lastSeq) {
      if (Date.now() > deadline) throw new Error(`read only up to sequence ${seq} of ${lastSeq} in ${timeoutMs} ms (consumer on ${ci.cluster?.leader ?? '?'})`);
      for await (const m of await c.fetch({ max_messages: 500, expires: 2000 })) {
        seq = m.seq;
        if (wildcard ? m.subject.startsWith(wildcard) && !m.subject.slice(wildcard.length).includes('.') : m.subject === subject) out.push(m);
      }
    }
  } finally {
    await jsm.consumers.delete(EVENTS_STREAM, ci.name).catch(() => undefined);
  }
  return out;
}

/** Every event id stored in the events stream (see storedMessages). */
export async function storedEventIds(nc: NatsConnection): Promise<string[]> {
  return (await storedMessages(nc, `${EVENT_SUBJECT_PREFIX}.*`)).flatMap((m) => m.json<PartitionBatch>().events.map((e) => e.id));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
