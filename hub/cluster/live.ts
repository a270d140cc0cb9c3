import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { isSafeId } from '../../protocol/ids.ts';
import { LiveFanout, type LiveChange, type LiveChanges } from '../web/live-changes.ts';

/**
 * The compound pages' live updates across workers. The owner of a compound's partition commits a
 * change (a rating, an alarm opened or decided) and then publishes `ss.live.<compound>` on core
 * NATS; every worker that serves the pages subscribes to `ss.live.>` and feeds its own SSE streams,
 * which read the public view again from PostgreSQL (the same route code as the embedded hub, whose
 * bus plays this part in-process).
 *
 * Why core NATS and not PostgreSQL LISTEN/NOTIFY: NOTIFY would be transactional (sent only on
 * commit), but every NOTIFY-ing commit takes one database-wide lock on the notification queue, so
 * all owners' hot-path commits would queue behind each other; LISTEN also pins one connection per
 * worker outside the pool. The workers already hold a NATS connection, and a core publish is
 * fire-and-forget beside the JetStream traffic. Published only after COMMIT returned, so a page
 * never reads a change that was rolled back. Core NATS is at most once: a lost message (a worker
 * reconnecting) is fine, the page shows the next change and reloads its data itself.
 *
 * The message says only which compound changed and how ({v, type, compound}): ids of compounds
 * are public (they are on the plaques); the view itself is read by the receiving worker.
 */
export const LIVE_SUBJECT_PREFIX = 'ss.live';

/** Compound ids may hold '.', which makes more subject tokens: subscribers use `ss.live.>`. */
export function liveSubject(compound: string): string {
  return `${LIVE_SUBJECT_PREFIX}.${compound}`;
}

/** After the commit: one small message per changed compound (never throws; NATS buffers while reconnecting). */
export function publishLive(nc: NatsConnection, changes: Iterable<LiveChange>): number {
  let n = 0;
  for (const c of changes) {
    try {
      nc.publish(liveSubject(c.compound), JSON.stringify({ v: 1, type: c.type, compound: c.compound }));
      n++;
    } catch {
      // A closed connection (the worker is stopping): the update is lost, which the pages tolerate.
    }
  }
  return n;
}

export interface LiveStats {
  received: number;
  /** Messages on ss.live.> that were not {v:1, type: rating|alarm, compound: id}: ignored (SS_CLUSTER_LIVE_BAD). */
  bad: number;
}

function parse(data: Uint8Array): LiveChange | undefined {
  try {
    const m = JSON.parse(new TextDecoder().decode(data)) as { v?: unknown; type?: unknown; compound?: unknown };
    if (m.v !== 1 || (m.type !== 'rating' && m.type !== 'alarm') || !isSafeId(m.compound)) return undefined;
    return { type: m.type, compound: m.compound };
  } catch {
    return undefined;
  }
}

/** A worker's feed of every compound change, from any owner (one subscription, fanned out to its streams). */
export class NatsLiveChanges implements LiveChanges {
  readonly stats: LiveStats = { received: 0, bad: 0 };
  private readonly fan = new LiveFanout();
  private readonly sub: Subscription;

  constructor(nc: NatsConnection) {
    this.sub = nc.subscribe(`${LIVE_SUBJECT_PREFIX}.>`, {
      callback: (err, m) => {
        if (err) return;
        const c = parse(m.data);
        if (!c) {
          this.stats.bad++;
          return;
        }
        this.stats.received++;
        this.fan.emit(c);
      },
    });
  }

  on(fn: (c: LiveChange) => void): () => void {
    return this.fan.on(fn);
  }

  close(): void {
    this.sub.unsubscribe();
  }
}
