import type pg from 'pg';
import type { CheckinActivity, ReportCategory } from './labels.ts';
import { MAX_ROWS, PRUNE_EVERY, type Checkin, type Report, type WebStore } from './store.ts';

type Queryable = Pick<pg.Pool, 'query'>;

interface ReportRow {
  id: string;
  compound: string;
  category: ReportCategory;
  text: string;
  at: string;
}

interface CheckinRow {
  id: string;
  compound: string;
  department: string;
  officer: string;
  activity: CheckinActivity;
  at: string;
}

const report = (r: ReportRow): Report => ({ id: Number(r.id), compound: r.compound, category: r.category, text: r.text, at: new Date(Number(r.at)).toISOString() });
const checkin = (r: CheckinRow): Checkin => ({ id: Number(r.id), compound: r.compound, department: r.department, officer: r.officer, activity: r.activity, at: new Date(Number(r.at)).toISOString() });

/**
 * The WebStore of cluster mode (PG migration 8): any worker takes a report or a check-in, every
 * worker's pages read them. Same rows and rules as SqliteWebStore.
 */
export class PgWebStore implements WebStore {
  constructor(private readonly q: Queryable, private readonly maxRows = MAX_ROWS) {}

  async addReport(compound: string, category: ReportCategory, text: string, at: number): Promise<Report> {
    const r = (await this.q.query<ReportRow>('INSERT INTO web_reports (compound, category, text, at) VALUES ($1, $2, $3, $4) RETURNING *', [compound, category, text, at])).rows[0]!;
    await this.prune('web_reports', Number(r.id));
    return report(r);
  }

  async reports(compound: string, limit: number): Promise<Report[]> {
    return (await this.q.query<ReportRow>('SELECT * FROM web_reports WHERE compound = $1 ORDER BY id DESC LIMIT $2', [compound, limit])).rows.map(report);
  }

  async addCheckin(compound: string, department: string, officer: string, activity: CheckinActivity, at: number): Promise<Checkin> {
    const r = (await this.q.query<CheckinRow>('INSERT INTO web_checkins (compound, department, officer, activity, at) VALUES ($1, $2, $3, $4, $5) RETURNING *', [compound, department, officer, activity, at])).rows[0]!;
    await this.prune('web_checkins', Number(r.id));
    return checkin(r);
  }

  async checkins(compound: string, limit: number): Promise<Checkin[]> {
    return (await this.q.query<CheckinRow>('SELECT * FROM web_checkins WHERE compound = $1 ORDER BY id DESC LIMIT $2', [compound, limit])).rows.map(checkin);
  }

  async checkinCounts(compound: string, since: number): Promise<Record<string, number>> {
    const rows = (await this.q.query<{ activity: string; n: number }>('SELECT activity, count(*)::int AS n FROM web_checkins WHERE compound = $1 AND at >= $2 GROUP BY activity', [compound, since])).rows;
    return Object.fromEntries(rows.map((r) => [r.activity, r.n]));
  }

  /** As SqliteWebStore: every PRUNE_EVERY-th id drops what is more than maxRows behind it (ids only grow; many workers insert at once). */
  private async prune(table: 'web_reports' | 'web_checkins', id: number): Promise<void> {
    if (id % PRUNE_EVERY !== 0) return;
    await this.q.query(`DELETE FROM ${table} WHERE id <= $1`, [id - this.maxRows]);
  }
}
