import { migrateSqlite } from '../store/sqliteMigrate.ts';
import type Database from 'better-sqlite3';
import type { Db } from '../../common/sqlite.ts';
import type { CheckinActivity, ReportCategory } from './labels.ts';

export interface Report {
  id: number;
  compound: string;
  category: ReportCategory;
  text: string;
  at: string;
}

export interface Checkin {
  id: number;
  compound: string;
  department: string;
  officer: string;
  activity: CheckinActivity;
  at: string;
}

/** Rows kept per table; the oldest are pruned past this so a flood cannot fill the disk. */
export const MAX_ROWS = 200_000;

/**
 * Residents' reports and officers' check-ins: the embedded hub's SQLite (SqliteWebStore) or the
 * cluster's PostgreSQL (PgWebStore, hub/web/pg-store.ts), one contract (test/contracts/). Async
 * because PostgreSQL is. What is kept is the same in both: no IP address or other identifier of
 * a resident (rate limiting works on a salted hash held in memory only); a check-in keeps the
 * officer as entered (a name or badge number) and the department from the token, and only
 * operators list them; the public page shows counts by activity.
 */
export interface WebStore {
  addReport(compound: string, category: ReportCategory, text: string, at: number): Promise<Report>;
  /** Newest first. */
  reports(compound: string, limit: number): Promise<Report[]>;
  addCheckin(compound: string, department: string, officer: string, activity: CheckinActivity, at: number): Promise<Checkin>;
  /** Newest first. */
  checkins(compound: string, limit: number): Promise<Checkin[]>;
  /** Check-ins since `since`, counted by activity: what the public page shows (no names). */
  checkinCounts(compound: string, since: number): Promise<Record<string, number>>;
}

/** Pruning looks only every this many rows (cheap on the hot path). */
export const PRUNE_EVERY = 100;

interface Row {
  id: number;
  compound: string;
  at: number;
}

/** The embedded hub's WebStore, in its state database. */
export class SqliteWebStore implements WebStore {
  private readonly stmts = new Map<string, Database.Statement<unknown[], unknown>>();
  private p<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s as unknown as Database.Statement<P, R>;
  }

  constructor(readonly db: Db, private readonly maxRows = MAX_ROWS) {
    migrateSqlite(db);
  }

  async addReport(compound: string, category: ReportCategory, text: string, at: number): Promise<Report> {
    const r = this.p('INSERT INTO web_reports (compound, category, text, at) VALUES (?, ?, ?, ?)').run(compound, category, text, at);
    this.prune('web_reports');
    return { id: Number(r.lastInsertRowid), compound, category, text, at: new Date(at).toISOString() };
  }

  async reports(compound: string, limit: number): Promise<Report[]> {
    return this
      .p<[string, number], Row & { category: ReportCategory; text: string }>('SELECT * FROM web_reports WHERE compound = ? ORDER BY id DESC LIMIT ?')
      .all(compound, limit)
      .map((r) => ({ id: r.id, compound: r.compound, category: r.category, text: r.text, at: new Date(r.at).toISOString() }));
  }

  async addCheckin(compound: string, department: string, officer: string, activity: CheckinActivity, at: number): Promise<Checkin> {
    const r = this.p('INSERT INTO web_checkins (compound, department, officer, activity, at) VALUES (?, ?, ?, ?, ?)').run(compound, department, officer, activity, at);
    this.prune('web_checkins');
    return { id: Number(r.lastInsertRowid), compound, department, officer, activity, at: new Date(at).toISOString() };
  }

  async checkins(compound: string, limit: number): Promise<Checkin[]> {
    return this
      .p<[string, number], Row & { department: string; officer: string; activity: CheckinActivity }>('SELECT * FROM web_checkins WHERE compound = ? ORDER BY id DESC LIMIT ?')
      .all(compound, limit)
      .map((r) => ({ id: r.id, compound: r.compound, department: r.department, officer: r.officer, activity: r.activity, at: new Date(r.at).toISOString() }));
  }

  async checkinCounts(compound: string, since: number): Promise<Record<string, number>> {
    const rows = this
      .p<[string, number], { activity: string; n: number }>('SELECT activity, count(*) AS n FROM web_checkins WHERE compound = ? AND at >= ? GROUP BY activity')
      .all(compound, since);
    return Object.fromEntries(rows.map((r) => [r.activity, r.n]));
  }

  private prune(table: 'web_reports' | 'web_checkins'): void {
    const max = this.p<[], { m: number | null }>(`SELECT max(id) AS m FROM ${table}`).get()?.m ?? 0;
    if (max % PRUNE_EVERY !== 0) return;
    this.p(`DELETE FROM ${table} WHERE id <= ?`).run(max - this.maxRows);
  }
}
