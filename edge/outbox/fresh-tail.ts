import type { OutboxRow } from './outbox.ts';

/**
 * The newest rows of one class (life-safety or not) kept in memory as they were committed, so
 * the uplink takes them straight from here instead of reading back what it just wrote (the
 * read-back cost ~3 µs and a row object of garbage per event, issue 14).
 *
 * Invariant: the tail holds every row of its class with `from < seq ≤ last written`, in seq order.
 * Anything the tail cannot vouch for (rows from an earlier run, rows pushed out by the memory
 * bound, a class the outbox bound pruned) lies at or below `from`, and a reader whose cursor is
 * below `from` is sent to SQLite, which always has the truth.
 */
export class FreshTail {
  private rows: OutboxRow[] = [];
  private head = 0;

  constructor(
    private from: number,
    private readonly max: number,
  ) {}

  /** A row just committed (seqs only grow). */
  push(row: OutboxRow): void {
    this.rows.push(row);
    if (this.rows.length - this.head > this.max) this.from = this.rows[this.head++]!.seq;
    this.compact();
  }

  /** Forget every row; from now on the tail vouches only for rows above `seq`. */
  reset(seq: number): void {
    this.rows = [];
    this.head = 0;
    this.from = Math.max(this.from, seq);
  }

  /**
   * The hub acknowledged rows up to `seq` of this class and they were deleted: drop them (and
   * anything older) from memory and vouch only for rows above, so a reader whose cursor was rewound
   * below them goes to SQLite instead of resending deleted rows. Acks may come out of order; a row
   * dropped here that SQLite still holds is then simply read from there.
   */
  forget(seq: number): void {
    if (seq <= this.from) return;
    while (this.head < this.rows.length && this.rows[this.head]!.seq <= seq) this.head++;
    this.from = seq;
    this.compact();
  }

  size(): number {
    return this.rows.length - this.head;
  }

  /**
   * Rows with `cursor < seq ≤ upTo`, at most `limit`, oldest first; `undefined` when rows above
   * `cursor` may exist that the tail does not hold (then read SQLite). Rows at or below the cursor
   * have been sent and are dropped from memory (they stay in SQLite until the hub acks them).
   */
  take(cursor: number, upTo: number, limit: number): OutboxRow[] | undefined {
    if (cursor < this.from) return undefined;
    while (this.head < this.rows.length && this.rows[this.head]!.seq <= cursor) this.head++;
    this.from = cursor;
    this.compact();
    const out: OutboxRow[] = [];
    for (let i = this.head; i < this.rows.length && out.length < limit; i++) {
      const r = this.rows[i]!;
      if (r.seq > upTo) break;
      out.push(r);
    }
    return out;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
  }
}
