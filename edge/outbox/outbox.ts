import type { Statement } from 'better-sqlite3';
import { openDb, type Db } from '../../common/sqlite.ts';
import type { DeadLetterSeal } from '../pipeline/deadletter-seal.ts';
import { FreshTail } from './fresh-tail.ts';
import { migrateEdgeDb } from './migrations.ts';
import { WalSync } from './wal-sync.ts';

/**
 * The durable outbox (better-sqlite3, WAL). Every accepted event is a row here, fsynced, before
 * the device gets its PUBACK; rows leave only when the hub PUBACKs the batch that carried them.
 *
 * Durability: commits run with synchronous=NORMAL and `sync()` fsyncs the WAL on the thread pool
 * (wal-sync.ts), so a group commit no longer stops the event loop for the fsync. `write()` alone
 * is NOT durable: callers ack only after `sync()`. The uplink reads only up to `durableSeq()`, so
 * nothing reaches the hub that a power cut could still take back (its device would resend it
 * under a new id: a duplicate). Deletes after the hub's PUBACK are not fsynced: one lost
 * to a power cut only means those rows go again, and the hub drops them by id.
 *
 * Bound policy (issue 4): at most `maxEvents` rows. When an insert takes the outbox past the
 * bound, the OLDEST NON-LIFE-SAFETY rows not yet handed to the uplink are deleted to make room and counted (`dropped`).
 * Life-safety rows (protocol/devices.ts LIFE_SAFETY_TYPES) are never dropped, even if that keeps
 * the outbox above the bound: they are rare, and losing one is worse than a few extra kilobytes.
 * Dead letters keep the newest `maxDeadLetters` records (the counters keep the totals).
 */
export interface OutboxRow {
  seq: number;
  body: string;
  life: boolean;
}

export interface DeadLetter {
  at: number;
  device: string;
  topic: string;
  code: string;
  reason: string;
  payload: Buffer;
  /** Size of the whole payload when `payload` holds only its first bytes. */
  size?: number;
}

export interface DeadLetterView {
  seq: number;
  at: number;
  device: string;
  topic: string;
  code: string;
  reason: string;
  /** Payload size as received, bytes. */
  size: number;
  /** Structure-only preview (pipeline/deadletter-seal.ts): no personal data in the clear. */
  payloadMasked: string;
  /** Raw payload (or its kept prefix) sealed with the site key, base64. */
  payloadSealed: string;
}

export interface NewRow {
  life: boolean;
  /** Edge receive time, ms (outbox age / uplink lag metrics). */
  at: number;
  body: string;
}

/**
 * Rows per multi-row INSERT: one statement step per 32 rows instead of per row saves ~1/3 of the
 * insert CPU (~3 µs/row here, issue 7). A remainder goes in halving chunks (16, 8 … 1), so a
 * commit of 63 rows is 6 statements, not 32 (issue 14). 96 bound parameters at most.
 */
const INSERT_CHUNKS = [32, 16, 8, 4, 2, 1] as const;

/** The two classes' tables (migrations.ts step 4): rowid = seq, no secondary index. */
const TABLES = { life: 'outbox_life', normal: 'outbox_normal' } as const;

/** Fresh rows per class kept in memory for the uplink (fresh-tail.ts); beyond this it reads SQLite. */
const FRESH_TAIL_MAX = 20_000;

export interface OutboxOptions {
  maxEvents: number;
  maxDeadLetters?: number;
  /** Seals dead-letter payloads (issue 12). Without it they are kept raw (tests of the outbox alone). */
  deadLetterSeal?: DeadLetterSeal;
}

export class Outbox {
  readonly db: Db;
  readonly boot: number;
  private depthNow: number;
  private lifeDepth: number;
  private readonly maxEvents: number;
  private readonly maxDeadLetters: number;
  private deadLetterRows: number;
  private closed = false;
  /**
   * Highest non-life-safety seq ever handed to the uplink. The bound drops only rows above it:
   * a row already sent may well be at the hub, so dropping it was counted as a loss that wasn't
   * (issue 12: 2,910 counted, 2,862 missing). The drop counter now counts rows never sent.
   */
  private handedOutNormal = 0;
  private readonly seal: DeadLetterSeal | undefined;
  private readonly st: {
    /** INSERTs of 32, 16 … 1 rows (INSERT_CHUNKS), per class. */
    insertLife: Statement[];
    insertNormal: Statement[];
    highWater: Statement;
    insertDl: Statement;
    delLife: Statement;
    delNormal: Statement;
    readLife: Statement;
    readNormal: Statement;
    dropOldest: Statement;
    pruneDl: Statement;
    listDl: Statement;
    oldestLife: Statement;
    oldestNormal: Statement;
  };
  private readonly wal: WalSync;
  /** Highest seq ever given to a row (the next row gets one more), and highest known on disk. */
  private writtenSeq: number;
  private durableSeqNow: number;
  private readonly writeTx: (rows: readonly NewRow[], dls: readonly DeadLetter[], fresh: OutboxRow[]) => number;
  private readonly lifeTail: FreshTail;
  private readonly normalTail: FreshTail;
  private readonly deleteTx: (rows: readonly Pick<OutboxRow, 'seq' | 'life'>[]) => number;
  /** Bound-parameter arrays per chunk size, reused across statements (no array per chunk). */
  private readonly args: (string | number)[][] = INSERT_CHUNKS.map((n) => new Array<string | number>(n * 3));

  constructor(file: string, opts: OutboxOptions) {
    this.maxEvents = opts.maxEvents;
    this.maxDeadLetters = opts.maxDeadLetters ?? 50_000;
    const db = openDb(file);
    // FULL would fsync inside every commit on this thread; `sync()` does it off the loop instead.
    db.pragma('synchronous = NORMAL');
    this.db = db;
    // Numbered schema steps (migrations.ts); an older file is upgraded in place, rows kept.
    migrateEdgeDb(db);
    this.seal = opts.deadLetterSeal;
    sealRawDeadLetters(db, this.seal);
    this.boot = db.transaction(() => {
      const row = db.prepare(`SELECT v FROM meta WHERE k = 'boot'`).get() as { v: number } | undefined;
      const next = (row?.v ?? 0) + 1;
      db.prepare(`INSERT INTO meta (k, v) VALUES ('boot', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`).run(next);
      return next;
    })();
    const count = (t: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    this.lifeDepth = count(TABLES.life);
    this.depthNow = this.lifeDepth + count(TABLES.normal);
    this.deadLetterRows = count('deadletters');
    const inserts = (table: string): Statement[] =>
      INSERT_CHUNKS.map((n) => db.prepare(`INSERT INTO ${table} (seq, at, body) VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}`));
    this.st = {
      insertLife: inserts(TABLES.life),
      insertNormal: inserts(TABLES.normal),
      highWater: db.prepare(`INSERT INTO meta (k, v) VALUES ('seq', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`),
      insertDl: db.prepare('INSERT INTO deadletters (at, device, topic, code, reason, payload, size, masked, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      delLife: db.prepare(`DELETE FROM ${TABLES.life} WHERE seq BETWEEN ? AND ?`),
      delNormal: db.prepare(`DELETE FROM ${TABLES.normal} WHERE seq BETWEEN ? AND ?`),
      readLife: db.prepare(`SELECT seq, body FROM ${TABLES.life} WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`),
      readNormal: db.prepare(`SELECT seq, body FROM ${TABLES.normal} WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`),
      dropOldest: db.prepare(`DELETE FROM ${TABLES.normal} WHERE seq IN (SELECT seq FROM ${TABLES.normal} WHERE seq > ? ORDER BY seq LIMIT ?)`),
      pruneDl: db.prepare('DELETE FROM deadletters WHERE seq IN (SELECT seq FROM deadletters ORDER BY seq LIMIT ?)'),
      listDl: db.prepare('SELECT seq, at, device, topic, code, reason, payload, size, masked FROM deadletters WHERE seq < ? AND (? IS NULL OR device = ?) ORDER BY seq DESC LIMIT ?'),
      oldestLife: db.prepare(`SELECT seq, at FROM ${TABLES.life} ORDER BY seq LIMIT 1`),
      oldestNormal: db.prepare(`SELECT seq, at FROM ${TABLES.normal} ORDER BY seq LIMIT 1`),
    };
    // Seqs are never reused, also across restarts (what AUTOINCREMENT gave before step 4): every
    // write transaction records its highest seq in meta, so rows deleted since (acked, dropped)
    // cannot hand their seqs out again. Rows here at open were committed by an earlier run: as
    // durable as they will get.
    const maxOf = (t: string): number => (db.prepare(`SELECT MAX(seq) AS s FROM ${t}`).get() as { s: number | null }).s ?? 0;
    const recorded = (db.prepare(`SELECT v FROM meta WHERE k = 'seq'`).get() as { v: number } | undefined)?.v ?? 0;
    this.writtenSeq = Math.max(recorded, maxOf(TABLES.life), maxOf(TABLES.normal));
    this.durableSeqNow = this.writtenSeq;
    this.lifeTail = new FreshTail(this.writtenSeq, FRESH_TAIL_MAX);
    this.normalTail = new FreshTail(this.writtenSeq, FRESH_TAIL_MAX);
    // The boot transaction above has created the WAL file; from here on it keeps its inode.
    this.wal = new WalSync(`${file}-wal`);
    this.writeTx = db.transaction((rows: readonly NewRow[], dls: readonly DeadLetter[], fresh: OutboxRow[]): number => {
      // Seqs in commit order over both classes (one counter: `durableSeq()` and the uplink's
      // `upToSeq` are one number for both): row i of this commit gets seq base + 1 + i. Then each
      // class's rows go to its table in chunked INSERTs.
      const base = this.writtenSeq;
      const life: number[] = [];
      const normal: number[] = [];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as NewRow;
        (r.life ? life : normal).push(i);
        fresh.push({ seq: base + 1 + i, body: r.body, life: r.life });
      }
      if (life.length > 0) this.insert(this.st.insertLife, rows, life, base);
      if (normal.length > 0) this.insert(this.st.insertNormal, rows, normal, base);
      // The counter moves in write(), once this transaction committed: a rollback leaves it as it was.
      if (rows.length > 0) this.st.highWater.run(base + rows.length);
      for (const d of dls) {
        const s = this.seal;
        this.st.insertDl.run(d.at, d.device, d.topic, d.code, d.reason, s ? s.seal(d.payload) : d.payload, d.size ?? d.payload.length, s ? s.mask(d.payload) : '', s ? 1 : 0);
      }
      let dropped = 0;
      const over = this.depthNow + rows.length - this.maxEvents;
      if (over > 0) dropped = this.st.dropOldest.run(this.handedOutNormal, over).changes;
      const dlOver = this.deadLetterRows + dls.length - this.maxDeadLetters;
      if (dlOver > 0) this.st.pruneDl.run(dlOver);
      return dropped;
    });
    this.deleteTx = db.transaction((rows: readonly Pick<OutboxRow, 'seq' | 'life'>[]): number => {
      // A batch holds consecutive rows of each class (the uplink reads each class in seq order
      // from its own cursor), so two range deletes remove exactly its rows: no row of another
      // batch lies inside either range within the same class.
      let lifeLo = Infinity, lifeHi = -Infinity, normLo = Infinity, normHi = -Infinity;
      for (const r of rows) {
        if (r.life) {
          if (r.seq < lifeLo) lifeLo = r.seq;
          if (r.seq > lifeHi) lifeHi = r.seq;
        } else {
          if (r.seq < normLo) normLo = r.seq;
          if (r.seq > normHi) normHi = r.seq;
        }
      }
      const life = lifeHi >= lifeLo ? this.st.delLife.run(lifeLo, lifeHi).changes : 0;
      const normal = normHi >= normLo ? this.st.delNormal.run(normLo, normHi).changes : 0;
      this.depthNow -= life + normal;
      this.lifeDepth -= life;
      return life + normal;
    });
  }

  /** Rows `which` (indices into `rows`, ascending) into one class's table: chunks of 32, then halving. */
  private insert(stmts: readonly Statement[], rows: readonly NewRow[], which: readonly number[], base: number): void {
    let i = 0;
    for (let c = 0; c < INSERT_CHUNKS.length; c++) {
      const n = INSERT_CHUNKS[c] as number;
      const args = this.args[c] as (string | number)[];
      const stmt = stmts[c] as Statement;
      for (; i + n <= which.length; i += n) {
        for (let j = 0; j < n; j++) {
          const k = which[i + j] as number;
          const r = rows[k] as NewRow;
          args[j * 3] = base + 1 + k;
          args[j * 3 + 1] = r.at;
          args[j * 3 + 2] = r.body;
        }
        stmt.run(args);
      }
    }
  }

  /**
   * One transaction for a whole group commit. Returns how many old rows the bound dropped.
   * Not yet durable: await `sync()` before acknowledging anything.
   */
  write(rows: readonly NewRow[], deadLetters: readonly DeadLetter[]): number {
    const fresh: OutboxRow[] = [];
    const dropped = this.writeTx(rows, deadLetters, fresh);
    this.writtenSeq += rows.length;
    // Committed (the transaction returned): the uplink may take these rows from memory once durable.
    for (const r of fresh) (r.life ? this.lifeTail : this.normalTail).push(r);
    // The bound deleted old non-life rows, perhaps some the tail holds: read that class from SQLite
    // until the uplink is past everything written so far.
    if (dropped > 0) this.normalTail.reset(this.writtenSeq);
    let life = 0;
    for (const r of rows) if (r.life) life++;
    this.depthNow += rows.length - dropped;
    this.lifeDepth += life;
    this.deadLetterRows = Math.min(this.maxDeadLetters, this.deadLetterRows + deadLetters.length);
    return dropped;
  }

  /** Resolves when every row and dead letter written so far is on disk (fsync of the WAL). */
  async sync(): Promise<void> {
    const upto = this.writtenSeq;
    await this.wal.sync();
    if (upto > this.durableSeqNow) this.durableSeqNow = upto;
  }

  /** Highest seq a finished `sync()` covered (rows above it may still be lost to a power cut). */
  durableSeq(): number {
    return this.durableSeqNow;
  }

  /**
   * The next rows (seq ≤ `upToSeq`) to send after the two cursors: life-safety rows first (they "always go first"),
   * then the rest, oldest first within each class.
   */
  next(lifeCursor: number, normalCursor: number, limit: number, upToSeq = Number.MAX_SAFE_INTEGER): OutboxRow[] {
    // Rows committed by this process come from memory (fresh-tail.ts); older ones from SQLite.
    let out: OutboxRow[] = [];
    if (this.lifeDepth > 0) {
      const mem = this.lifeTail.take(lifeCursor, upToSeq, limit);
      if (mem) out = mem;
      else for (const r of this.st.readLife.all(lifeCursor, upToSeq, limit) as { seq: number; body: string }[]) out.push({ seq: r.seq, body: r.body, life: true });
    }
    if (out.length < limit) {
      const mem = this.normalTail.take(normalCursor, upToSeq, limit - out.length);
      if (mem) {
        for (const r of mem) {
          out.push(r);
          if (r.seq > this.handedOutNormal) this.handedOutNormal = r.seq;
        }
      } else {
        for (const r of this.st.readNormal.all(normalCursor, upToSeq, limit - out.length) as { seq: number; body: string }[]) {
          out.push({ seq: r.seq, body: r.body, life: false });
          if (r.seq > this.handedOutNormal) this.handedOutNormal = r.seq;
        }
      }
    }
    return out;
  }

  /**
   * Delete the rows of one acknowledged batch (as returned by `next`). Rows the bound already
   * dropped are simply not there any more.
   */
  remove(rows: readonly Pick<OutboxRow, 'seq' | 'life'>[]): number {
    if (rows.length === 0) return 0;
    const n = this.deleteTx(rows);
    let life = 0;
    let normal = 0;
    for (const r of rows) {
      if (r.life) life = Math.max(life, r.seq);
      else normal = Math.max(normal, r.seq);
    }
    if (life > 0) this.lifeTail.forget(life);
    if (normal > 0) this.normalTail.forget(normal);
    return n;
  }

  depth(): number {
    return this.depthNow;
  }

  /** Receive time of the oldest row (lowest seq of either class, ms), undefined when empty. */
  oldestAt(): number | undefined {
    const l = this.st.oldestLife.get() as { seq: number; at: number } | undefined;
    const n = this.st.oldestNormal.get() as { seq: number; at: number } | undefined;
    if (!l || !n) return (l ?? n)?.at;
    return l.seq < n.seq ? l.at : n.at;
  }

  /** Highest seq ever written (rows up to it may have left since: acked or dropped). */
  maxSeq(): number {
    return this.writtenSeq;
  }

  /** Newest first; page with `beforeSeq`. */
  deadLetters(limit = 100, beforeSeq = Number.MAX_SAFE_INTEGER, device?: string): DeadLetterView[] {
    const d = device ?? null;
    const rows = this.st.listDl.all(beforeSeq, d, d, limit) as (Omit<DeadLetterView, 'payloadMasked' | 'payloadSealed'> & { payload: Buffer; masked: string })[];
    return rows.map(({ payload, masked, ...r }) => ({ ...r, payloadMasked: masked, payloadSealed: payload.toString('base64') }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wal.close();
    this.db.close();
  }
}

/**
 * Dead letters written before issue 12 kept raw payloads: add the size / preview / sealed columns
 * and seal those rows once, so no old record keeps personal data in the clear.
 */
/**
 * Dead letters kept raw (by a build before issue 12, or an outbox opened without a seal) are sealed
 * once a key is given. Data, not schema: it depends on the site key, so it is no migration step.
 */
function sealRawDeadLetters(db: Db, seal: DeadLetterSeal | undefined): void {
  if (!seal) return;
  const raw = db.prepare('SELECT seq, payload, size FROM deadletters WHERE sealed = 0').all() as { seq: number; payload: Buffer; size: number }[];
  if (raw.length === 0) return;
  const upd = db.prepare('UPDATE deadletters SET payload = ?, masked = ?, size = ?, sealed = 1 WHERE seq = ?');
  db.transaction(() => {
    for (const r of raw) upd.run(seal.seal(r.payload), seal.mask(r.payload), r.size || r.payload.length, r.seq);
  })();
}
