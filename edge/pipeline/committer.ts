import { LIFE_SAFETY_TYPES } from '../../protocol/devices.ts';
import type { Event } from '../../protocol/event.ts';
import type { DeadLetter, NewRow, Outbox } from '../outbox/outbox.ts';
import { bodyOf } from './bodies.ts';
import type { Scorer, UnscoredCode } from './scorer-port.ts';

/**
 * Group commit in front of the outbox: accepted messages wait a few ms, then one scorer call and
 * one SQLite transaction serve them all, and only once the outbox's fsync covering that
 * transaction is done do their callbacks run (which is what lets aedes send the device's
 * PUBACK). One commit per event manages ~4k/s here; one per 3 ms batch, >300k/s (issue 7).
 * The fsync runs off the event loop (outbox/wal-sync.ts): while batch N waits for the disk,
 * batch N+1 is already scored and written, and both share the next fsync if they can.
 */
export interface CommitterOptions {
  outbox: Outbox;
  scorer: Scorer;
  /** How long the first message of a batch waits for company, ms. */
  lingerMs?: number;
  /** Commit at once when this many events + dead letters are waiting. */
  maxBatch?: number;
  /**
   * Stall guard: longest wait for the scorer per batch, ms (default 1000); then the batch is
   * written unscored (SS_EDGE_SCORER_TIMEOUT). Only a hung runtime reaches it: load is shed by
   * `shedAboveEvents`, before the model runs.
   */
  scoreTimeoutMs?: number;
  /**
   * Shedding policy (issue 14): a group commit holding more than this many events means the edge
   * is behind (a full commit is `maxBatch`; more piled up while the previous one was scored and
   * written). Such a commit still gives every event to the feature memory and still scores its
   * life-safety events, but skips the model for the rest (SS_EDGE_SCORER_SHED, counted per
   * event), which is the cheapest way to catch up without touching any PUBACK promise.
   * Default 2 × maxBatch; Infinity = never shed.
   */
  shedAboveEvents?: number;
  onCommitted?: (events: readonly Event[], deadLetters: readonly DeadLetter[], dropped: number) => void;
  onScorerMiss?: (code: UnscoredCode, events: number, detail: string) => void;
  onWriteError?: (err: Error, waiting: number) => void;
}

type Done = (err?: Error | null) => void;

export class GroupCommitter {
  private events: Event[] = [];
  private deadLetters: DeadLetter[] = [];
  private callbacks: Done[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Written batches waiting for their fsync, and how many callbacks they hold. */
  private readonly syncing = new Set<Promise<void>>();
  private syncingCallbacks = 0;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly scoreTimeoutMs: number;
  private readonly shedAboveEvents: number;

  constructor(private readonly opts: CommitterOptions) {
    this.lingerMs = opts.lingerMs ?? 3;
    this.maxBatch = opts.maxBatch ?? 2000;
    this.scoreTimeoutMs = opts.scoreTimeoutMs ?? 1000;
    this.shedAboveEvents = opts.shedAboveEvents ?? 2 * this.maxBatch;
  }

  /** Queue events / dead letters of one device message; `done` runs after they are durable. */
  submit(events: readonly Event[], deadLetters: readonly DeadLetter[], done: Done): void {
    for (const e of events) this.events.push(e);
    for (const d of deadLetters) this.deadLetters.push(d);
    this.callbacks.push(done);
    if (this.events.length + this.deadLetters.length >= this.maxBatch) this.kick(0);
    else this.kick(this.lingerMs);
  }

  /** Messages waiting for their commit (queued, or written and waiting for the fsync). */
  pending(): number {
    return this.callbacks.length + this.syncingCallbacks;
  }

  /** Commit everything queued now and wait for it (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.flushing || this.callbacks.length > 0 || this.syncing.size > 0) {
      if (this.flushing) await this.flushing;
      else if (this.callbacks.length > 0) await this.run();
      else await Promise.all(this.syncing);
    }
  }

  private kick(delay: number): void {
    if (this.flushing) return; // the running flush picks up the rest when it ends
    if (delay === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.run();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.run();
      }, delay);
    }
  }

  private run(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.commitOnce().finally(() => {
      this.flushing = undefined;
      if (this.callbacks.length > 0) this.kick(this.events.length + this.deadLetters.length >= this.maxBatch ? 0 : this.lingerMs);
    });
    return this.flushing;
  }

  private async commitOnce(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const events = this.events;
    const deadLetters = this.deadLetters;
    const callbacks = this.callbacks;
    this.events = [];
    this.deadLetters = [];
    this.callbacks = [];
    if (callbacks.length === 0) return;
    if (events.length > 0) {
      await this.score(events);
      this.checkScores(events);
    }
    let dropped: number;
    try {
      const rows: NewRow[] = new Array(events.length);
      for (let i = 0; i < events.length; i++) {
        const e = events[i] as Event;
        rows[i] = { life: LIFE_SAFETY_TYPES.has(e.type), at: e.receivedAt, body: bodyOf(e) };
      }
      dropped = this.opts.outbox.write(rows, deadLetters);
    } catch (e) {
      this.failed(e as Error, callbacks);
      return;
    }
    // Not awaited: the next batch may be scored and written while this one waits for the disk.
    this.syncingCallbacks += callbacks.length;
    const durable = this.opts.outbox.sync().then(
      () => {
        this.syncingCallbacks -= callbacks.length;
        for (const cb of callbacks) cb(null);
        this.opts.onCommitted?.(events, deadLetters, dropped);
      },
      (e: Error) => {
        this.syncingCallbacks -= callbacks.length;
        this.failed(e, callbacks);
      },
    );
    this.syncing.add(durable);
    const settled = (): void => {
      this.syncing.delete(durable);
    };
    durable.then(settled, settled);
  }

  /** Not durable → no PUBACK: the error makes aedes drop the connection and the device resends. */
  private failed(err: Error, callbacks: Done[]): void {
    this.opts.onWriteError?.(err, callbacks.length);
    for (const cb of callbacks) cb(err);
  }

  /**
   * Events were validated before scoring; a score that breaks Event v1 would get the whole event
   * dead-lettered at the hub, so a bad score is removed here (the event matters more) and counted.
   */
  private checkScores(events: Event[]): void {
    let bad = 0;
    for (const e of events) {
      const s = e.score;
      if (s === undefined) continue;
      if (
        typeof s !== 'object' || s === null || !Number.isFinite(s.value) || !Number.isFinite(s.threshold) ||
        typeof s.anomalous !== 'boolean' || typeof s.model !== 'string' || s.model.length > 64 || Object.keys(s).length !== 4
      ) {
        delete e.score;
        bad++;
      }
    }
    if (bad > 0) this.opts.onScorerMiss?.('SS_EDGE_SCORER_ERROR', bad, 'score did not match Event v1; removed');
  }

  private async score(events: Event[]): Promise<void> {
    const shedding = events.length > this.shedAboveEvents;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.scoreTimeoutMs);
    });
    try {
      const run = this.opts.scorer.scoreBatch(events, shedding ? shedUnlessLifeSafety : undefined);
      const r = await Promise.race([run, timeout]);
      if (r === 'timeout') {
        // The late scorer may still write `score` into these objects; they are serialised below,
        // right after this returns, so a late score is simply absent or present, never torn.
        this.opts.onScorerMiss?.('SS_EDGE_SCORER_TIMEOUT', events.length, `${this.scoreTimeoutMs} ms (stall guard)`);
        return;
      }
      if (r) {
        for (const [code, n] of Object.entries(r) as [UnscoredCode, number][]) {
          if (n > 0) this.opts.onScorerMiss?.(code, n, code === 'SS_EDGE_SCORER_SHED' && shedding ? `group commit of ${events.length} events > shedAboveEvents ${this.shedAboveEvents}` : 'scorer');
        }
      }
    } catch (e) {
      this.opts.onScorerMiss?.('SS_EDGE_SCORER_ERROR', events.length, (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Under overload life-safety events are still scored; everything else is shed (see shedAboveEvents). */
function shedUnlessLifeSafety(e: Event): boolean {
  return !LIFE_SAFETY_TYPES.has(e.type);
}
