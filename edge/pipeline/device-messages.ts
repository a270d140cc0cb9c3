import type { Event } from '../../protocol/event.ts';
import type { DeviceChannel } from '../../protocol/topics.ts';
import type { DeviceEntry } from '../auth/registry.ts';
import type { PublishHandler } from '../broker/embedded.ts';
import { RateLimiter } from '../broker/rate-limit.ts';
import type { HealthTracker, HealthTransition } from '../health/health.ts';
import type { EdgeCounters } from '../stats.ts';
import type { GroupCommitter } from './committer.ts';
import type { IngestPool } from './ingest-pool.ts';
import { ingest, toEvent, type IngestContext, type IngestResult } from './ingest.ts';

/**
 * What happens to one device message between the broker hook and the group commit:
 * per-device rate limit (delay, never drop) → health (last seen; back-online event) → ingest
 * (decode → event → privacy → validate, or one dead letter) → group commit, whose callback is
 * the device's PUBACK. With a pool (`pipeline.workers` ≥ 1) the ingest step runs on its threads
 * and comes back in arrival order; rate limit, health and the commit stay here.
 */
export interface DeviceMessagesDeps {
  ctx: IngestContext;
  health: HealthTracker;
  committer: GroupCommitter;
  counters: EdgeCounters;
  clock: () => number;
  maxMessagesPerDevicePerSecond: number;
  /** Ingest threads; absent = ingest on this thread. */
  pool?: IngestPool;
}

export interface DeviceMessages {
  onPublish: PublishHandler;
  /** An edge-origin health event (device offline after silence, back online). */
  edgeEvent(t: HealthTransition, at: number): Event;
}

export function createDeviceMessages(d: DeviceMessagesDeps): DeviceMessages {
  const { ctx, health, committer, counters, clock, pool } = d;
  const limiter = new RateLimiter(d.maxMessagesPerDevicePerSecond);

  const edgeEvent = (t: HealthTransition, at: number): Event =>
    toEvent(ctx, t.entry, {
      kind: t.entry.device.kind, type: t.type, severity: t.type === 'offline' ? 'minor' : 'info', deviceTime: at,
      attributes: { origin: 'edge', reason: t.reason, silentS: t.silentS },
    }, at);

  const handle = (entry: DeviceEntry, channel: DeviceChannel, topic: string, payload: Buffer, done: (err?: Error | null) => void, oversizedBytes?: number): void => {
    const now = clock();
    counters.accepted++;
    const back = health.seen(entry.device.id, now);
    const extra = back ? [edgeEvent(back, now)] : [];
    if (back) counters.edgeEvents++;
    if (pool === undefined) return commit(entry, done, now, extra, ingest(ctx, entry, channel, topic, payload, now, oversizedBytes));
    const job = { entry, channel, topic, payload, receivedAt: now };
    const then = (r: IngestResult): void => commit(entry, done, now, extra, r);
    // An oversized message needs no decoding: its dead letter is made here, handed back in turn.
    if (oversizedBytes !== undefined || payload.length > ctx.maxPayloadBytes) pool.settled(ingest(ctx, entry, channel, topic, payload, now, oversizedBytes), then, job);
    else pool.submit(job, then);
  };

  // Not a closure per message on the single-threaded path (closures cost on the hot path).
  function commit(entry: DeviceEntry, done: (err?: Error | null) => void, now: number, extra: Event[], r: IngestResult): void {
    if (r.ok) {
      committer.submit(extra.length > 0 ? extra.concat(r.events) : r.events, [], done);
    } else {
      health.deadLettered(entry.device.id, r.deadLetter.code, r.deadLetter.reason, now);
      committer.submit(extra, [r.deadLetter], done);
    }
  }

  const onPublish: PublishHandler = (entry, channel, topic, payload, done, oversizedBytes) => {
    const wait = limiter.take(entry.device.id, clock());
    if (wait > 0) {
      counters.rateLimited++;
      health.rateLimited(entry.device.id);
      setTimeout(handle, wait, entry, channel, topic, payload, done, oversizedBytes);
      return;
    }
    handle(entry, channel, topic, payload, done, oversizedBytes);
  };

  return { onPublish, edgeEvent };
}
