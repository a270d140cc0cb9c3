import type { CommitResult, PendingBatch } from '../store/ingestDb.ts';

export type CommitCallback = (err: Error | null, result?: CommitResult) => void;

/** Where a group goes: resolves once it is durable (hub/ingest/durable.ts: the commit thread). */
export interface CommitStore {
  commit(batches: readonly PendingBatch[]): Promise<CommitResult[]>;
}

export interface GroupCommitOptions {
  /** How long the first waiting batch may wait for company (ms). */
  windowMs: number;
  /** Commit at once when this many events are waiting (bounds memory and latency under load). */
  maxEvents: number;
}

/**
 * Group commit: batches that arrive within a few ms share one SQLite transaction (one fsync), then
 * every waiter is called back. One fsync per event caps out near 4k/s on this class of machine;
 * group commit reaches hundreds of thousands (issue 7's measurements). One group is in flight at a
 * time: while its fsync runs (on the commit thread), the next group gathers, and is sent the
 * moment the first is durable, so under load the groups grow by themselves.
 */
export class GroupCommitter {
  private batches: PendingBatch[] = [];
  private callbacks: CommitCallback[] = [];
  private events = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly store: CommitStore,
    private readonly opts: GroupCommitOptions,
    private readonly onCommitted: (batches: readonly PendingBatch[], results: readonly CommitResult[]) => void,
  ) {}

  submit(batch: PendingBatch, cb: CommitCallback): void {
    this.batches.push(batch);
    this.callbacks.push(cb);
    this.events += batch.events.length + batch.deadLetters.length;
    if (this.inFlight > 0) return; // sent when the group in flight is durable
    if (this.events >= this.opts.maxEvents) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.windowMs);
  }

  /** Batches not yet durable (waiting or in flight). */
  pending(): number {
    return this.batches.length + this.inFlight;
  }

  /** Send what waits now (unless a group is in flight: then it goes right after). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inFlight > 0) return;
    if (this.batches.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const batches = this.batches;
    const callbacks = this.callbacks;
    this.batches = [];
    this.callbacks = [];
    this.events = 0;
    this.inFlight = batches.length;
    this.store.commit(batches).then(
      (results) => {
        this.inFlight = 0;
        try {
          this.onCommitted(batches, results);
        } catch {
          // A listener's bug (rating, metrics) must not cost the edge its PUBACK: the data is durable.
        }
        for (let i = 0; i < callbacks.length; i++) callbacks[i]!(null, results[i]);
        this.flush();
      },
      (e: unknown) => {
        this.inFlight = 0;
        // Not durable → no PUBACK: the edge keeps the batch and sends it again.
        for (const cb of callbacks) cb(e as Error);
        this.flush();
      },
    );
  }

  /** Commit everything waiting and resolve when nothing is pending (shutdown). */
  settle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.flush();
    });
  }
}
