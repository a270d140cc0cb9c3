import { INGEST_MIGRATIONS } from './migrations/sqlite.ts';
import { migrateSqlite } from './sqliteMigrate.ts';
import type { Event } from '../../protocol/event.ts';
import { openDb, type Db } from '../../common/sqlite.ts';
import type { DeadLetterDraft } from '../ingest/parse.ts';
import { FieldTypes, type FieldType } from './fields.ts';
import { eventLine } from './line.ts';

/** One uplink batch waiting for the group commit. */
export interface PendingBatch {
  events: readonly Event[];
  deadLetters: readonly DeadLetterDraft[];
}

/**
 * One uplink batch whose lines were already built (by the hub's main thread): `lines[i]` is the
 * line of the event `ids[i]`. What the commit thread receives: strings only, cheap to copy.
 */
export interface LineBatch {
  ids: readonly string[];
  lines: readonly string[];
  deadLetters: readonly DeadLetterDraft[];
}

export interface LineCommitResult {
  /** Indexes (into `ids`) of events already stored before: not queued again. */
  duplicates: number[];
  /** Lines queued for InfluxDB. */
  queued: number;
}

export interface CommitResult {
  /** Events stored for the first time (dedupe passed), in batch order. */
  accepted: Event[];
  duplicates: number;
}

/** A contiguous run of queue chunks, ready to be written to InfluxDB as one request. */
export interface QueueSlice {
  fromId: number;
  toId: number;
  /** Number of lines (events). */
  n: number;
  /** Line protocol, one point per line. */
  body: string;
}

export interface DeadLetterRow {
  id: number;
  at: number;
  edge: string;
  reason: string;
  detail: string;
  raw: string;
}

/** Lines per queue row: small enough that a writer can fill a 5,000-point request tightly. */
const CHUNK_LINES = 500;

/**
 * The hub's ingest store (one SQLite file, WAL, synchronous=FULL): dedupe, durable queue, dead
 * letters and field types commit in one transaction, so after a crash they always agree.
 */
export class IngestDb {
  readonly db: Db;
  readonly fields: FieldTypes;
  private depth: number;
  private readonly st;
  /** Where the dedupe sweep continues (in id order); '' = from the start. */
  private sweepCursor = '';
  /** Acked slices not yet deleted (see ack). */
  private acked: Array<[number, number]> = [];
  private ackTimer: NodeJS.Timeout | undefined;

  constructor(file: string, private readonly now: () => number = Date.now) {
    this.db = openDb(file);
    // Queue chunks are read back (peek) and freed (ack) soon after they are written: keep them cached.
    this.db.pragma('cache_size = -32000');
    migrateSqlite(this.db, INGEST_MIGRATIONS, 'ingest.db');
    const db = this.db;
    this.st = {
      seen: db.prepare<[string, number]>('INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)'),
      chunk: db.prepare<[number, string]>('INSERT INTO queue (n, lines) VALUES (?, ?)'),
      dead: db.prepare<[number, string, string, string, string]>('INSERT INTO deadletters (at, edge, reason, detail, raw) VALUES (?, ?, ?, ?, ?)'),
      field: db.prepare<[string, string]>('INSERT OR IGNORE INTO field_types (name, type) VALUES (?, ?)'),
      peek: db.prepare<[number, number], { id: number; n: number; lines: string }>('SELECT id, n, lines FROM queue WHERE id > ? ORDER BY id LIMIT ?'),
      del: db.prepare<[number, number]>('DELETE FROM queue WHERE id BETWEEN ? AND ?'),
      sweepEnd: db.prepare<[string, number], { id: string }>('SELECT id FROM seen WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?'),
      sweepTo: db.prepare<[string, string, number]>('DELETE FROM seen WHERE id > ? AND id <= ? AND at < ?'),
      sweepRest: db.prepare<[string, number]>('DELETE FROM seen WHERE id > ? AND at < ?'),
    };
    this.depth = db.prepare<[], { d: number | null }>('SELECT SUM(n) AS d FROM queue').get()?.d ?? 0;
    const known = db.prepare<[], { name: string; type: FieldType }>('SELECT name, type FROM field_types').all();
    this.fields = new FieldTypes(known.map((r) => [r.name, r.type] as const));
  }

  isOpen(): boolean {
    return this.db.open;
  }

  /** Events waiting for InfluxDB. */
  queueDepth(): number {
    return this.depth;
  }

  /**
   * One transaction for many batches (group commit): dedupe each event, queue the new ones as line
   * protocol (ns time from the event id, see line.ts), store dead letters. Synchronous=FULL: when this returns,
   * it survives power loss, so the caller may now PUBACK.
   */
  commit(batches: readonly PendingBatch[]): CommitResult[] {
    const at = this.now();
    const results: CommitResult[] = [];
    let queued = 0;
    const run = this.db.transaction(() => {
      let lines: string[] = [];
      const flush = (): void => {
        if (lines.length === 0) return;
        this.st.chunk.run(lines.length, lines.join('\n'));
        queued += lines.length;
        lines = [];
      };
      for (const b of batches) {
        const accepted: Event[] = [];
        let duplicates = 0;
        for (const e of b.events) {
          if (this.st.seen.run(e.id, at).changes === 0) {
            duplicates++;
            continue;
          }
          accepted.push(e);
          lines.push(eventLine(e, this.fields));
          if (lines.length >= CHUNK_LINES) flush();
        }
        for (const d of b.deadLetters) this.st.dead.run(at, d.edge, d.reason, d.detail, d.raw);
        results.push({ accepted, duplicates });
      }
      flush();
      for (const [name, type] of this.fields.takeNew()) this.st.field.run(name, type);
    });
    try {
      run();
    } catch (e) {
      this.fields.forget(this.fields.takeNew());
      throw e;
    }
    this.depth += queued;
    return results;
  }

  /**
   * `commit` for batches whose lines are built elsewhere (the hub builds them on its main thread
   * and commits here on its commit thread): same transaction, same dedupe, same chunking. `fields`:
   * type decisions the lines rely on, persisted with them; `at`: the time recorded for dedupe and
   * dead letters (the caller's clock); `chunks` receives [queue row id, lines] of each row written,
   * in order (accepted lines of all batches, CHUNK_LINES a row).
   */
  commitLines(batches: readonly LineBatch[], fields: ReadonlyArray<readonly [string, FieldType]>, at: number, chunks: Array<[number, number]> = []): LineCommitResult[] {
    const results: LineCommitResult[] = [];
    let queued = 0;
    this.db.transaction(() => {
      let lines: string[] = [];
      const flush = (): void => {
        if (lines.length === 0) return;
        chunks.push([Number(this.st.chunk.run(lines.length, lines.join('\n')).lastInsertRowid), lines.length]);
        queued += lines.length;
        lines = [];
      };
      for (const b of batches) {
        const duplicates: number[] = [];
        let n = 0;
        for (let i = 0; i < b.ids.length; i++) {
          if (this.st.seen.run(b.ids[i]!, at).changes === 0) {
            duplicates.push(i);
            continue;
          }
          lines.push(b.lines[i]!);
          n++;
          if (lines.length >= CHUNK_LINES) flush();
        }
        for (const d of b.deadLetters) this.st.dead.run(at, d.edge, d.reason, d.detail, d.raw);
        results.push({ duplicates, queued: n });
      }
      flush();
      for (const [name, type] of fields) this.st.field.run(name, type);
    })();
    this.depth += queued;
    return results;
  }

  /** Delete acked queue ranges now (one transaction); the commit thread's side of `ack`. */
  deleteRanges(ranges: ReadonlyArray<readonly [number, number]>): void {
    if (ranges.length === 0) return;
    this.db.transaction(() => {
      for (const [a, b] of ranges) this.st.del.run(a, b);
    })();
  }

  /**
   * The next contiguous run of chunks after `afterId`, at most `maxLines` lines (but at least one
   * chunk). Reading never deletes: only `ack` does, after InfluxDB confirmed the write.
   */
  peek(afterId: number, maxLines: number): QueueSlice | undefined {
    const parts: string[] = [];
    let n = 0;
    let fromId = 0;
    let toId = 0;
    // iterate() + break reads only the rows used: chunks vary from 1 to CHUNK_LINES lines.
    for (const r of this.st.peek.iterate(afterId, maxLines)) {
      if (parts.length > 0 && n + r.n > maxLines) break;
      if (parts.length === 0) fromId = r.id;
      parts.push(r.lines);
      n += r.n;
      toId = r.id;
    }
    if (parts.length === 0) return undefined;
    return { fromId, toId, n, body: parts.join('\n') };
  }

  /**
   * InfluxDB stored the slice: remove it from the queue. Deletes are batched (one transaction, one
   * fsync, every 200 ms): losing an ack in a crash only means the slice is written again on restart,
   * and a rewrite is idempotent (same series, same ns time, same values).
   */
  ack(slice: QueueSlice): void {
    this.depth -= slice.n;
    this.acked.push([slice.fromId, slice.toId]);
    this.ackTimer ??= setTimeout(() => this.flushAcks(), 200);
  }

  flushAcks(): void {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    if (this.acked.length === 0 || !this.db.open) return;
    const ranges = this.acked;
    this.acked = [];
    this.deleteRanges(ranges);
  }

  /** Adopt field types InfluxDB already has (see FieldTypes.adopt) and persist them. */
  adoptFieldTypes(known: ReadonlyArray<readonly [string, FieldType]>): number {
    let n = 0;
    for (const [name, type] of known) if (this.fields.adopt(name, type)) n++;
    const fresh = this.fields.takeNew();
    const put = this.db.prepare<[string, string]>('INSERT OR REPLACE INTO field_types (name, type) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const [name, type] of fresh) put.run(name, type);
    })();
    return n;
  }

  addDeadLetters(items: readonly DeadLetterDraft[], at = this.now()): void {
    if (items.length === 0) return;
    this.db.transaction(() => {
      for (const d of items) this.st.dead.run(at, d.edge, d.reason, d.detail, d.raw);
    })();
  }

  deadLetters(limit: number, reason?: string): DeadLetterRow[] {
    const lim = Math.max(1, Math.min(1000, Math.floor(limit)));
    if (reason) {
      return this.db.prepare<[string, number], DeadLetterRow>('SELECT * FROM deadletters WHERE reason = ? ORDER BY id DESC LIMIT ?').all(reason, lim);
    }
    return this.db.prepare<[number], DeadLetterRow>('SELECT * FROM deadletters ORDER BY id DESC LIMIT ?').all(lim);
  }

  /** Dead letters on disk by reason, with the newest time of each (the console's summary). */
  deadLetterSummary(): { reason: string; count: number; lastAt: number }[] {
    return this.db.prepare<[], { reason: string; count: number; lastAt: number }>('SELECT reason, COUNT(*) AS count, MAX(at) AS lastAt FROM deadletters GROUP BY reason ORDER BY count DESC').all();
  }

  deadLetterCount(): number {
    return this.db.prepare<[], { c: number }>('SELECT COUNT(*) AS c FROM deadletters').get()?.c ?? 0;
  }

  /**
   * Forget ids accepted before `olderThanMs`: looks at the next `maxRows` ids (in id order) and
   * deletes the old ones among them, so one call never stalls ingest. Called every minute, a full
   * pass over 10 million ids takes under an hour: far inside a 7-day retention.
   */
  pruneSeen(olderThanMs: number, maxRows = 200_000): number {
    const from = this.sweepCursor;
    const end = this.st.sweepEnd.get(from, Math.max(0, maxRows - 1));
    if (end) {
      this.sweepCursor = end.id;
      return this.st.sweepTo.run(from, end.id, olderThanMs).changes;
    }
    this.sweepCursor = '';
    return this.st.sweepRest.run(from, olderThanMs).changes;
  }

  /** Keep the newest `keep` dead letters: the table is bounded on disk (the counters keep the totals). */
  pruneDeadLetters(keep: number): number {
    return this.db.prepare<[number]>('DELETE FROM deadletters WHERE id <= (SELECT MAX(id) FROM deadletters) - ?').run(keep).changes;
  }

  close(): void {
    this.flushAcks();
    if (this.db.open) this.db.close();
  }
}
