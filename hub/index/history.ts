import { migrateSqlite } from '../store/sqliteMigrate.ts';
import type { Db } from '../../common/sqlite.ts';
import type { SubScoreKey } from './policy-schema.ts';

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
  return `safety_index,compound=${p.compound},district=${p.district},policy=${p.policyVersion} ${fields.join(',')} ${Math.round(p.at)}`;
}

/**
 * History of index, stars and sub-scores to the InfluxDB measurement `safety_index`. Points go to
 * a durable SQLite queue first and leave it only after InfluxDB answered 204, so an outage loses
 * nothing (bounded by HISTORY_QUEUE_MAX, with a counter of what was dropped).
 */
export class IndexHistory {
  dropped = 0;
  written = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dbReady = false;
  /** Rows queued; counted once at start, then kept in step (count(*) scans the table). */
  private queued: number;
  private put: ReturnType<Db['prepare']> | undefined;

  constructor(
    private readonly db: Db,
    private readonly target: HistoryTarget | undefined,
    private readonly opts: { intervalMs?: number; timeoutMs?: number; max?: number } = {},
  ) {
    migrateSqlite(db);
    this.queued = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM index_history_queue').get()?.n ?? 0;
  }

  record(points: readonly HistoryPoint[]): void {
    if (points.length === 0) return;
    this.put ??= this.db.prepare('INSERT INTO index_history_queue (line) VALUES (?)');
    const put = this.put;
    this.db.transaction(() => {
      for (const p of points) put.run(historyLine(p));
      this.queued += points.length;
      const over = this.queued - (this.opts.max ?? HISTORY_QUEUE_MAX);
      if (over > 0) {
        const gone = this.db.prepare('DELETE FROM index_history_queue WHERE seq IN (SELECT seq FROM index_history_queue ORDER BY seq LIMIT ?)').run(over).changes;
        this.queued -= gone;
        this.dropped += gone;
      }
    })();
  }

  depth(): number {
    return this.queued;
  }

  start(): void {
    if (!this.target || this.timer) return;
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.opts.intervalMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Send what is queued; resolves when the queue is empty or InfluxDB refused (rows stay queued). */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async post(path: string, body: string): Promise<Response> {
    const t = this.target as HistoryTarget;
    return fetch(`${t.url}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
  }

  private async send(): Promise<void> {
    if (!this.target) return;
    for (;;) {
      if (!this.db.open) return;
      const rows = this.db.prepare<[number], { seq: number; line: string }>('SELECT seq, line FROM index_history_queue ORDER BY seq LIMIT ?').all(BATCH);
      const last = rows[rows.length - 1];
      if (!last) return;
      if (!this.dbReady) {
        const q = await this.post(`/query?q=${encodeURIComponent(`CREATE DATABASE "${this.target.database}"`)}`, '');
        if (!q.ok) throw new Error(`SS_INDEX_HISTORY_DB: could not create database '${this.target.database}' (HTTP ${q.status}); check InfluxDB`);
        this.dbReady = true;
      }
      const res = await this.post(`/write?db=${encodeURIComponent(this.target.database)}&precision=ms`, rows.map((r) => r.line).join('\n'));
      if (res.status !== 204) throw new Error(`SS_INDEX_HISTORY_WRITE: InfluxDB answered ${res.status}: ${(await res.text()).slice(0, 300)}; points stay queued`);
      if (!this.db.open) return;
      this.queued -= this.db.prepare('DELETE FROM index_history_queue WHERE seq <= ?').run(last.seq).changes;
      this.written += rows.length;
    }
  }
}
