import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { CaseRecord } from '../../protocol/cases.ts';
import { eventSubject, partitionOf } from './partition.ts';

/** A case as it rides its compound's partition subject, next to that partition's event batches. */
export interface CaseMessage {
  v: 1;
  kind: 'case';
  partition: number;
  case: CaseRecord & { postedBy: string; receivedAt: number };
}

export function isCaseMessage(x: unknown): x is CaseMessage {
  const m = x as Partial<CaseMessage> | null;
  return !!m && m.kind === 'case' && typeof m.case === 'object' && m.case !== null && typeof m.case.id === 'string';
}

/** Digest of a case's content: the same post twice is one message; a correction is a new one. */
export function caseDigest(c: CaseRecord): string {
  const h = createHash('sha256');
  for (const v of [c.id, c.department, c.category, c.compound, String(c.occurredAt), String(c.registeredAt), c.status]) h.update(v).update('\0');
  return h.digest('base64url').slice(0, 22);
}

/**
 * Publish a case onto its compound's partition (any worker's API may take it): the owner of the
 * partition applies it in order with that partition's events. The message id is the case id and
 * its content digest, so a client retrying the same post inside JetStream's duplicate window is
 * stored once; later repeats are found unchanged by the owner's idempotent upsert.
 */
export async function publishCase(js: JetStreamClient, c: CaseMessage['case'], partitions: number, timeoutMs = 10_000): Promise<{ partition: number; seq: number; duplicate: boolean }> {
  const partition = partitionOf(c.compound, partitions);
  const msg: CaseMessage = { v: 1, kind: 'case', partition, case: c };
  const ack = await js.publish(eventSubject(partition), JSON.stringify(msg), { msgID: `case.${c.id}.${caseDigest(c)}`, timeout: timeoutMs });
  return { partition, seq: ack.seq, duplicate: ack.duplicate };
}
