import { migrateSqlite } from '../store/sqliteMigrate.ts';
import type { Db } from '../../common/sqlite.ts';
import type { DeadLetterDraft } from '../ingest/parse.ts';
import type { QueueSlice } from '../store/ingestDb.ts';
import { InfluxWriter, WRITER_DEFAULTS, type LineQueue } from '../store/influxWriter.ts';
import type { SubScoreKey } from '../policy/policy-schema.ts';
import { MEASUREMENTS } from '../../protocol/names.ts';

export interface HistoryTarget {
  /** http://host:port */
  url: string;
  database: string;
}

export interface HistoryPoint {
  compound: string;
  district: string;
  at: number;
  index: number;
  stars: number;
  subScores: Partial<Record<SubScoreKey, number | null>>;
  veto: boolean;
  downgradeStars: number;
  policyVersion: string;
  /** Zero-incident flags for the calendar year (DOMAIN.md "Zero incidents"), for the dashboards. */
  zeroAlertsYear?: boolean;
  zeroPreventableYear?: boolean;
  daysSinceIncident?: number | null;
}

/** Rows kept while InfluxDB is away (≈ 200 B each); past this the oldest go, counted. */
export const HISTORY_QUEUE_MAX = 500_000;
const BATCH = 5000;

/** InfluxDB line protocol; ids are ID_PATTERN-safe, so tags need no escaping beyond that. */
export function historyLine(p: HistoryPoint): string {
  const fields = [`index=${p.index}`, `stars=${p.stars}i`, `veto=${p.veto}`, `downgrade=${p.downgradeStars}i`];
  for (const [k, v] of Object.entries(p.subScores)) if (typeof v === 'number') fields.push(`${k}=${v}`);
  if (p.zeroAlertsYear !== undefined) fields.push(`zeroAlertsYear=${p.zeroAlertsYear}`);
  if (p.zeroPreventableYear !== undefined) fields.push(`zeroPreventableYear=${p.zeroPreventableYear}`);
  if (typeof p.daysSinceIncident === 'number') fields.push(`daysSinceIncident=${Math.floor(p.daysSinceIncident)}i`);
  return `${MEASUREMENTS.safetyIndex},compound=${p.compound},district=${p.district},policy=${p.policyVersion} ${fields.join(',')} ${Math.round(p.at)}`;
}

/** Dead letters of the history kept for operators (rows; the counter keeps the total). */
const DEAD_KEEP = 10_000;

/**
 * History of index, stars and sub-scores to the InfluxDB measurement `safety_index`. Points go to
 * a durable SQLite queue first and leave it only after InfluxDB answered 204, so an outage loses
 * nothing (bounded by HISTORY_QUEUE_MAX, with a counter of what was dropped). The queue is drained
 * by the hub's one InfluxDB writer (hub/store/influxWriter.ts), as the events are: retries with
 * capped backoff while InfluxDB is away, and a refused write is split until each bad line stands
 * alone and goes to `index_history_dead` with InfluxDB's reason, so one bad line never stalls the
 * points behind it (it did: the old writer retried the same batch for ever).
 */
export class IndexHistory implements LineQueue {
  dropped = 0;
  written = 0;
  deadLettered = 0;
  private writer: InfluxWriter | undefined;
  private started = false;
  private up: boolean | undefined;
  private lastError = '';
  /** Rows queued; counted once at start, then kept in step (count(*) scans the table). */
  private queued: number;
  private put: ReturnType<Db['prepare']> | undefined;

  constructor(
    private readonly db: Db,
    target: HistoryTarget | undefined,
    opts: { timeoutMs?: number; max?: number; backoffMaxMs?: number } = {},
  ) {
    migrateSqlite(db);
    this.queued = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM index_history_queue').get()?.n ?? 0;
    this.max = opts.max ?? HISTORY_QUEUE_MAX;
    if (target) {
      const writerOpts = { ...WRITER_DEFAULTS, batchSize: BATCH, concurrency: 1, timeoutMs: opts.timeoutMs ?? 10_000, backoffMaxMs: opts.backoffMaxMs ?? WRITER_DEFAULTS.backoffMaxMs };
      this.writer = new InfluxWriter(this, target, writerOpts, {
        written: (n) => {
          this.written += n;
        },
        deadLetters: (items) => this.deadLetter(items),
        state: (up, reason) => {
          this.up = up;
          if (!up) this.lastError = reason;
        },
      }, 'ms');
    }
  }

  private readonly max: number;

  record(points: readonly HistoryPoint[]): void {
    this.recordLines(points.map(historyLine));
  }

  /**
   * Queue ready lines (ms timestamps) for the same writer: the `problems` points (hub/cases/
   * problem-points.ts) share this queue so they get the same durability, retries and dead letters.
   */
  recordLines(lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.put ??= this.db.prepare('INSERT INTO index_history_queue (line) VALUES (?)');
    const put = this.put;
    this.db.transaction(() => {
      for (const l of lines) put.run(l);
      this.queued += lines.length;
      const over = this.queued - this.max;
      if (over > 0) {
        const gone = this.db.prepare('DELETE FROM index_history_queue WHERE seq IN (SELECT seq FROM index_history_queue ORDER BY seq LIMIT ?)').run(over).changes;
        this.queued -= gone;
        this.dropped += gone;
      }
    })();
    this.writer?.kick();
  }

  depth(): number {
    return this.queued;
  }

  /** LineQueue: the next slice after `afterId` (seq), up to `maxLines` points. */
  peek(afterId: number, maxLines: number): QueueSlice | undefined {
    const rows = this.db.prepare<[number, number], { seq: number; line: string }>('SELECT seq, line FROM index_history_queue WHERE seq > ? ORDER BY seq LIMIT ?').all(afterId, maxLines);
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last) return undefined;
    return { fromId: first.seq, toId: last.seq, n: rows.length, body: rows.map((r) => r.line).join('\n') };
  }

  ack(slice: QueueSlice): void {
    this.queued -= this.db.prepare('DELETE FROM index_history_queue WHERE seq BETWEEN ? AND ?').run(slice.fromId, slice.toId).changes;
  }

  isOpen(): boolean {
    return this.db.open;
  }

  private deadLetter(items: readonly DeadLetterDraft[]): void {
    if (!this.db.open) return;
    const put = this.db.prepare('INSERT INTO index_history_dead (at, reason, detail, line) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const d of items) put.run(Date.now(), d.reason, d.detail, d.raw);
      this.db.prepare('DELETE FROM index_history_dead WHERE seq <= (SELECT max(seq) FROM index_history_dead) - ?').run(DEAD_KEEP);
    })();
    this.deadLettered += items.length;
  }

  /** The history's dead letters, newest first (operators). */
  deadLetters(limit = 100): { at: number; reason: string; detail: string; line: string }[] {
    return this.db.prepare<[number], { at: number; reason: string; detail: string; line: string }>('SELECT at, reason, detail, line FROM index_history_dead ORDER BY seq DESC LIMIT ?').all(limit);
  }

  start(): void {
    if (!this.writer || this.started) return;
    this.started = true;
    this.writer.start();
  }

  stop(): void {
    if (!this.writer || !this.started) return;
    this.started = false;
    void this.writer.stop(1000);
  }

  /**
   * Send what is queued: resolves when the queue is empty, rejects when InfluxDB is unreachable
   * (the points stay queued and the writer keeps retrying) or after `waitMs`.
   */
  async flush(waitMs = 30_000): Promise<void> {
    if (!this.writer) return;
    this.start();
    this.writer.kick();
    const until = Date.now() + waitMs;
    while (this.queued > 0) {
      if (this.up === false) throw new Error(`SS_INDEX_HISTORY_WRITE: InfluxDB unreachable (${this.lastError.slice(0, 300)}); points stay queued and are retried`);
      if (Date.now() > until) throw new Error(`SS_INDEX_HISTORY_WRITE: ${this.queued} points still queued after ${waitMs} ms; they are retried`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
