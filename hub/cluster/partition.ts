import { idHash32 } from '../store/line.ts';

/**
 * Partitions: the unit of ownership in cluster mode. A compound always maps to the same partition
 * (its events, cases and reviews meet on one owner), and 64 is enough to spread a city over a
 * handful of workers while keeping one durable consumer per partition cheap. Changing the count
 * moves compounds between partitions: do it only with all workers stopped and the stream drained.
 */
export const DEFAULT_PARTITIONS = 64;

/** Subject prefix of event batches; the partition number is the last token. */
export const EVENT_SUBJECT_PREFIX = 'ss.ev';
/** Dead letters refused by an ingress (bad JSON, invalid events) ride the same stream. */
export const DEAD_LETTER_SUBJECT = 'ss.dl';
export const EVENTS_STREAM = 'SS_EVENTS';

/** Stable across processes and versions: the frozen id hash of hub/store/line.ts. */
export function partitionOf(compound: string, partitions = DEFAULT_PARTITIONS): number {
  return idHash32(compound) % partitions;
}

export function eventSubject(partition: number): string {
  return `${EVENT_SUBJECT_PREFIX}.${partition}`;
}

/** Durable consumer name of a partition: shared by whichever worker owns it, so a new owner resumes. */
export function partitionConsumer(partition: number): string {
  return `ss-p${partition}`;
}
