import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { DEAD_LETTER_SUBJECT, EVENTS_STREAM, EVENT_SUBJECT_PREFIX, eventSubject, partitionConsumer } from './partition.ts';

export interface StreamOptions {
  /** Raft replicas: 3 survives one node lost (quorum 2); 1 only for a single dev server. */
  replicas?: number;
  /** Dedupe window of JetStream message ids; a resend later than this is caught by event-id dedupe. */
  duplicateWindowMs?: number;
  /** Keep messages at most this long (they are acked long before; this bounds the disk). */
  maxAgeMs?: number;
}

/**
 * Create (or update) the events stream: file storage, R3, subjects ss.ev.<partition> and ss.dl.
 * Limits retention, not work-queue: several consumers (the state workers, one per InfluxDB) read
 * the same messages, each at its own pace.
 */
export async function ensureEventsStream(jsm: JetStreamManager, o: StreamOptions = {}): Promise<void> {
  const cfg = {
    name: EVENTS_STREAM,
    subjects: [`${EVENT_SUBJECT_PREFIX}.*`, DEAD_LETTER_SUBJECT],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: o.replicas ?? 3,
    duplicate_window: nanos(o.duplicateWindowMs ?? 120_000),
    max_age: nanos(o.maxAgeMs ?? 7 * 24 * 3600_000),
  };
  try {
    await jsm.streams.info(EVENTS_STREAM);
    await jsm.streams.update(EVENTS_STREAM, cfg);
  } catch (e) {
    if (!/not found/i.test(String(e))) throw e;
    await jsm.streams.add(cfg);
  }
}

export interface ConsumerOptions {
  /** Redelivery after this long unacked: bounds how long a dead worker's in-flight batches wait. */
  ackWaitMs?: number;
  maxAckPending?: number;
}

/** The durable pull consumer of one partition (idempotent). */
export async function ensurePartitionConsumer(jsm: JetStreamManager, partition: number, o: ConsumerOptions = {}): Promise<void> {
  const name = partitionConsumer(partition);
  try {
    await jsm.consumers.info(EVENTS_STREAM, name);
  } catch (e) {
    if (!/not found/i.test(String(e))) throw e;
    await jsm.consumers.add(EVENTS_STREAM, {
      durable_name: name,
      filter_subject: eventSubject(partition),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(o.ackWaitMs ?? 30_000),
      max_ack_pending: o.maxAckPending ?? 2000,
    });
  }
}
