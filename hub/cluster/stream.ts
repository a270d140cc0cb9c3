import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
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
  // Every process ensures the stream at start; processes starting together race in the meta group
  // (a create timed out when four started at once): a timeout or "already in use" is retried.
  for (let i = 0; ; i++) {
    try {
      try {
        await jsm.streams.info(EVENTS_STREAM);
        await jsm.streams.update(EVENTS_STREAM, cfg);
      } catch (e) {
        if (!/not found/i.test(String(e))) throw e;
        await jsm.streams.add(cfg);
      }
      return;
    } catch (e) {
      if (i >= 5 || !/timeout|already|in use/i.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 250 * 2 ** i));
    }
  }
}

export interface ConsumerOptions {
  /** Redelivery after this long unacked: bounds how long a dead worker's in-flight batches wait. */
  ackWaitMs?: number;
  maxAckPending?: number;
}

/**
 * Create a durable consumer unless it exists (idempotent). Several workers start at once and create
 * the same shared consumers (dead letters, series): on 2.9 a racing create of an R3 consumer can
 * time out in the meta group (seen: a worker exiting at start), so a timeout or "already in use"
 * is retried with backoff, and an existing consumer wins.
 */
export async function ensureDurableConsumer(jsm: JetStreamManager, cfg: Partial<ConsumerConfig> & { durable_name: string }, attempts = 6): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await jsm.consumers.info(EVENTS_STREAM, cfg.durable_name);
      return;
    } catch (e) {
      if (/not found/i.test(String(e))) {
        try {
          await jsm.consumers.add(EVENTS_STREAM, cfg);
          return;
        } catch (e2) {
          if (i + 1 >= attempts || !/timeout|already|in use/i.test(String(e2))) throw e2;
        }
      } else if (i + 1 >= attempts || !/timeout/i.test(String(e))) {
        throw e;
      }
    }
    await new Promise((r) => setTimeout(r, 250 * 2 ** i));
  }
}

/** The durable pull consumer of one partition (idempotent). */
export async function ensurePartitionConsumer(jsm: JetStreamManager, partition: number, o: ConsumerOptions = {}): Promise<void> {
  await ensureDurableConsumer(jsm, {
    durable_name: partitionConsumer(partition),
    filter_subject: eventSubject(partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs ?? 30_000),
    max_ack_pending: o.maxAckPending ?? 2000,
  });
}

/**
 * Wait until a consumer's replica group has elected a leader (true), or `timeoutMs` passed (false:
 * the caller consumes anyway and the pull heartbeat recovers). A pull request sent to an R3
 * consumer without a leader is dropped without an answer, and the client pulls again only after
 * two missed heartbeats: measured, 4 of 64 consumers created at once had no leader when their
 * creation returned, and the one still without one at its first pull got its message 1.6–2.7 s late.
 */
export async function waitConsumerLeader(jsm: JetStreamManager, name: string, timeoutMs = 10_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const ci = await jsm.consumers.info(EVENTS_STREAM, name);
      // No cluster block: a single server (R1), where there is no election to wait for.
      if (!ci.cluster || ci.cluster.leader) return true;
    } catch {
      /* a leaderless group can time out the info call too: ask again */
    }
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
