import { Worker } from 'node:worker_threads';
import { HubError } from '../errors.ts';
import { IngestDb, type CommitResult, type DeadLetterRow, type LineBatch, type LineCommitResult, type PendingBatch, type QueueSlice } from '../store/ingestDb.ts';
import type { Event } from '../../protocol/event.ts';
import type { FieldType } from '../store/fields.ts';
import { eventLine } from '../store/line.ts';
import type { LineQueue } from '../store/influxWriter.ts';
import type { FromCommitThread, ToCommitThread } from './commit-protocol.ts';
import type { DeadLetterDraft } from './parse.ts';

const BOOT = new URL('./commit-thread-boot.mjs', import.meta.url);

/** Lines kept in memory for the writer at most; past this (InfluxDB slow or down) it reads SQLite. */
const FRESH_MAX_LINES = 50_000;

type Request = ToCommitThread extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

/**
 * The hub's ingest store split over two threads. The commit thread (commit-thread.ts) owns every
 * write to ingest.db and waits for each fsync there; this side keeps a read connection (WAL:
 * readers never block the writer) for the InfluxDB writer's peeks and the dead-letter pages,
 * builds the line protocol (the field types live here, persisted with the commit that first uses
 * them) and tracks the queue depth. A commit resolves only after its transaction is durable, so
 * "PUBACK after commit" still means acknowledged = stored.
 */
export class DurableIngest implements LineQueue {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: FromCommitThread & { t: 'done' }) => void; reject: (e: Error) => void }>();
  private depth: number;
  private acked: Array<[number, number]> = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private starting: Promise<void> | undefined;
  /** Rows committed by this process and not yet acked, by queue id (see keepFresh). */
  private readonly fresh = new Map<number, { n: number; body: string }>();
  private freshLines = 0;

  private constructor(
    private readonly file: string,
    private readonly reader: IngestDb,
    private readonly now: () => number,
    private readonly onThreadError: (message: string) => void,
  ) {
    this.depth = reader.queueDepth();
  }

  /** Open (migrating) the file, then start the commit thread and wait until it has opened it too. */
  static async open(file: string, now: () => number, onThreadError: (message: string) => void = () => {}): Promise<DurableIngest> {
    const reader = new IngestDb(file, now);
    const d = new DurableIngest(file, reader, now, onThreadError);
    try {
      await d.start();
    } catch (e) {
      reader.close();
      throw e;
    }
    return d;
  }

  private start(): Promise<void> {
    const w = new Worker(BOOT, { workerData: { file: this.file } });
    this.worker = w;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      w.on('message', (m: FromCommitThread) => {
        if (m.t === 'ready') {
          ready = true;
          return resolve();
        }
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        if (m.t === 'done') p.resolve(m);
        else p.reject(new HubError('SS_HUB_COMMIT', m.message));
      });
      const gone = (why: string): void => {
        if (this.worker !== w) return;
        this.worker = undefined;
        // Nothing in flight was confirmed durable: every waiter fails (the edges resend), and the
        // next request starts a fresh thread.
        for (const [, p] of this.waiting) p.reject(new HubError('SS_HUB_COMMIT', `commit thread stopped: ${why}`));
        this.waiting.clear();
        if (!ready) reject(new HubError('SS_HUB_COMMIT', `commit thread did not start: ${why}`));
        else if (!this.closed) this.onThreadError(why);
      };
      w.on('error', (e) => gone(e.message));
      w.on('exit', (code) => gone(`exited with code ${code}`));
    });
  }

  private async request(m: Request): Promise<FromCommitThread & { t: 'done' }> {
    if (this.closed) throw new HubError('SS_HUB_CLOSED', 'the ingest store is closed');
    if (!this.worker) {
      // One restart however many requests find the thread gone.
      this.starting ??= this.start().finally(() => {
        this.starting = undefined;
      });
      await this.starting;
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker!.postMessage({ ...m, id } as ToCommitThread);
    });
  }

  /**
   * One transaction for many batches (group commit). Resolves when it is durable; rejects when it
   * is not (then nothing of it counts as stored, and the edges resend).
   */
  async commit(batches: readonly PendingBatch[]): Promise<CommitResult[]> {
    const fields = this.reader.fields;
    const lineBatches: LineBatch[] = batches.map((b) => ({
      ids: b.events.map((e) => e.id),
      lines: b.events.map((e) => eventLine(e, fields)),
      deadLetters: [...b.deadLetters],
    }));
    const fresh = fields.takeNew();
    let reply: FromCommitThread & { t: 'done' };
    try {
      reply = await this.request({ t: 'commit', batches: lineBatches, fields: fresh as Array<[string, FieldType]>, at: this.now() });
    } catch (e) {
      // The lines using these decisions were not stored: decide again with the next value seen.
      fields.forget(fresh);
      throw e;
    }
    const results = reply.results!;
    this.keepFresh(lineBatches, results, reply.chunks ?? []);
    return batches.map((b, i) => {
      const r = results[i]!;
      this.depth += r.queued;
      if (r.duplicates.length === 0) return { accepted: [...b.events], duplicates: 0 };
      const dup = new Set(r.duplicates);
      const accepted: Event[] = b.events.filter((_, k) => !dup.has(k));
      return { accepted, duplicates: r.duplicates.length };
    });
  }

  /** Events waiting for InfluxDB. */
  queueDepth(): number {
    return this.depth;
  }

  /**
   * Requests the commit thread has not answered yet (commits, dead letters of refused lines, acks).
   * A drained queue is not yet a settled store: the dead letters of the last refused lines may
   * still be on their way to disk (hub.drain waits for this too).
   */
  inFlight(): number {
    return this.waiting.size;
  }

  isOpen(): boolean {
    return !this.closed && this.reader.isOpen();
  }

  /**
   * Keep the rows just committed in memory for the InfluxDB writer (bounded by FRESH_MAX_LINES),
   * so it needs no read-back of what this thread built a moment ago. Rebuilt exactly as the commit
   * thread chunked them: the accepted lines of all batches in order, `n` lines a row.
   */
  private keepFresh(batches: readonly LineBatch[], results: readonly LineCommitResult[], chunks: ReadonlyArray<readonly [number, number]>): void {
    if (chunks.length === 0) return;
    let total = 0;
    for (const [, n] of chunks) total += n;
    if (this.freshLines + total > FRESH_MAX_LINES) return; // InfluxDB is behind: the writer reads SQLite
    const accepted: string[] = [];
    batches.forEach((b, i) => {
      const dup = results[i]!.duplicates;
      if (dup.length === 0) accepted.push(...b.lines);
      else {
        const skip = new Set(dup);
        b.lines.forEach((l, k) => skip.has(k) || accepted.push(l));
      }
    });
    let at = 0;
    for (const [id, n] of chunks) {
      this.fresh.set(id, { n, body: accepted.slice(at, at + n).join('\n') });
      at += n;
    }
    this.freshLines += total;
  }

  /**
   * From memory when the row right after `afterId` is one this process committed (queue ids are
   * AUTOINCREMENT and only the commit thread inserts, so that row is then the next one on disk
   * too); from SQLite otherwise (the backlog after a restart, or rows past the memory bound).
   */
  peek(afterId: number, maxLines: number): QueueSlice | undefined {
    const first = this.fresh.get(afterId + 1);
    if (!first) return this.reader.peek(afterId, maxLines);
    const parts = [first.body];
    let n = first.n;
    let toId = afterId + 1;
    for (let next = this.fresh.get(toId + 1); next && n + next.n <= maxLines; next = this.fresh.get(toId + 1)) {
      parts.push(next.body);
      n += next.n;
      toId++;
    }
    return { fromId: afterId + 1, toId, n, body: parts.join('\n') };
  }

  /**
   * InfluxDB stored the slice. Deletes go to the commit thread in batches every 200 ms: a lost
   * ack only means a rewrite after a restart, which is idempotent (see IngestDb.ack).
   */
  ack(slice: QueueSlice): void {
    this.depth -= slice.n;
    for (let id = slice.fromId; id <= slice.toId; id++) {
      const f = this.fresh.get(id);
      if (!f) continue;
      this.freshLines -= f.n;
      this.fresh.delete(id);
    }
    this.acked.push([slice.fromId, slice.toId]);
    this.ackTimer ??= setTimeout(() => void this.flushAcks(), 200);
  }

  private async flushAcks(): Promise<void> {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    if (this.acked.length === 0) return;
    const ranges = this.acked;
    this.acked = [];
    try {
      await this.request({ t: 'ack', ranges });
    } catch (e) {
      this.onThreadError(`acked queue rows not deleted (they are written again after a restart): ${(e as Error).message}`);
    }
  }

  /** Dead letters from outside a batch (InfluxDB refused a line): stored on the commit thread. */
  addDeadLetters(items: readonly DeadLetterDraft[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return this.request({ t: 'deadLetters', items: [...items], at: this.now() }).then(() => undefined);
  }

  /** Forget dedupe ids older than `seenBefore` (a bounded sweep) and keep the newest dead letters. */
  prune(seenBefore: number, keepDeadLetters: number): Promise<void> {
    return this.request({ t: 'prune', seenBefore, keepDeadLetters }).then(() => undefined);
  }

  adoptFieldTypes(known: ReadonlyArray<readonly [string, FieldType]>): number {
    return this.reader.adoptFieldTypes(known);
  }

  deadLetters(limit: number, reason?: string): DeadLetterRow[] {
    return this.reader.deadLetters(limit, reason);
  }

  deadLetterSummary(): { reason: string; count: number; lastAt: number }[] {
    return this.reader.deadLetterSummary();
  }

  /** Send the pending acks, stop the commit thread (after what it has queued), close the reader. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushAcks();
    if (this.worker) {
      const w = this.worker;
      const exited = new Promise((r) => w.once('exit', r));
      try {
        await this.request({ t: 'close' });
      } catch {
        /* it stopped on its own: nothing left to close there */
      }
      this.closed = true;
      await exited;
    }
    this.closed = true;
    this.reader.close();
  }
}
