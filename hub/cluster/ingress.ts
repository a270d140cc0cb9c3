import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Event } from '../../protocol/event.ts';
import { parseBatch, type DeadLetterDraft } from '../ingest/parse.ts';
import { HubError, type DeadLetterReason } from '../errors.ts';
import { DEAD_LETTER_SUBJECT, DEFAULT_PARTITIONS, eventSubject, partitionOf } from './partition.ts';

/** What rides one JetStream message: the validated events of one edge batch for one partition. */
export interface PartitionBatch {
  v: 1;
  edge: string;
  partition: number;
  events: Event[];
}

export interface IngressResult {
  /** Events published (including ones JetStream recognised as a resend). */
  events: number;
  /** JetStream messages published, one per partition the batch touched. */
  messages: number;
  /** Messages JetStream reported as duplicates of an earlier publish (a resend inside the window). */
  duplicates: number;
  deadLetters: number;
  /** The reason code of each dead letter, for the counters. */
  deadLetterReasons: DeadLetterReason[];
  /** Stream sequences JetStream acknowledged (for tests and tracing). */
  seqs: number[];
}

export interface IngressOptions {
  partitions?: number;
  /** How long to wait for JetStream's quorum ack per message before failing the batch. */
  ackTimeoutMs?: number;
}

/**
 * Message id of a partition batch: edge + partition + a digest of the event ids in order. The edge
 * resends exactly the same events when a PUBACK was lost (its outbox replays by sequence), so a
 * resend has the same id and JetStream drops it inside its duplicate window; later resends are
 * caught by the workers' event-id dedupe. The digest keeps the id short (JetStream stores them).
 */
export function batchMsgId(edge: string, partition: number, eventIds: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of eventIds) h.update(id).update('\n');
  return `${edge}.${partition}.${h.digest('base64url').slice(0, 22)}`;
}

/**
 * Ingress of cluster mode: an edge batch → per-partition JetStream messages. Resolves only after
 * JetStream acknowledged every message (R3: stored on a quorum), so the caller may PUBACK the edge
 * then and only then; on any failure it throws SS_CLUSTER_PUBLISH and the edge resends the batch.
 */
export class JetStreamIngress {
  private readonly partitions: number;
  private readonly ackTimeoutMs: number;

  constructor(
    private readonly js: JetStreamClient,
    o: IngressOptions = {},
  ) {
    this.partitions = o.partitions ?? DEFAULT_PARTITIONS;
    this.ackTimeoutMs = o.ackTimeoutMs ?? 10_000;
  }

  /** `scope`: the compounds this edge may publish for (undefined = any); the rest are dead letters. */
  async publishBatch(edge: string, payload: Buffer | string, scope?: ReadonlySet<string>): Promise<IngressResult> {
    const parsed = parseBatch(payload, edge, scope);
    const groups = new Map<number, Event[]>();
    for (const e of parsed.events) {
      const p = partitionOf(e.compound, this.partitions);
      let g = groups.get(p);
      if (!g) groups.set(p, (g = []));
      g.push(e);
    }
    const pubs: Array<Promise<{ seq: number; duplicate: boolean }>> = [];
    for (const [p, events] of groups) {
      const body: PartitionBatch = { v: 1, edge, partition: p, events };
      const msgID = batchMsgId(edge, p, events.map((e) => e.id));
      pubs.push(this.publish(eventSubject(p), JSON.stringify(body), msgID));
    }
    if (parsed.deadLetters.length > 0) pubs.push(this.publish(DEAD_LETTER_SUBJECT, JSON.stringify(parsed.deadLetters), deadLetterMsgId(edge, parsed.deadLetters)));
    const acks = await Promise.allSettled(pubs);
    const failed = acks.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (failed) throw new HubError('SS_CLUSTER_PUBLISH', `edge ${edge}: ${String((failed.reason as Error)?.message ?? failed.reason)}`);
    const ok = acks as Array<PromiseFulfilledResult<{ seq: number; duplicate: boolean }>>;
    return {
      events: parsed.events.length,
      messages: groups.size,
      duplicates: ok.filter((a) => a.value.duplicate).length,
      deadLetters: parsed.deadLetters.length,
      deadLetterReasons: parsed.deadLetters.map((d) => d.reason),
      seqs: ok.map((a) => a.value.seq),
    };
  }

  /** Dead letters found outside a batch (e.g. an edge publishing off its topics). */
  async publishDeadLetters(edge: string, items: readonly DeadLetterDraft[]): Promise<void> {
    if (items.length === 0) return;
    await this.publish(DEAD_LETTER_SUBJECT, JSON.stringify(items), deadLetterMsgId(edge, items));
  }

  private async publish(subject: string, body: string, msgID: string): Promise<{ seq: number; duplicate: boolean }> {
    const ack = await this.js.publish(subject, body, { msgID, timeout: this.ackTimeoutMs });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }
}

function deadLetterMsgId(edge: string, items: readonly DeadLetterDraft[]): string {
  const h = createHash('sha256');
  for (const d of items) h.update(d.reason).update('\0').update(d.detail).update('\0').update(d.raw).update('\n');
  return `${edge}.dl.${h.digest('base64url').slice(0, 22)}`;
}
