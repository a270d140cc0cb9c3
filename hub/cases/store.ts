import { migrateSqlite } from '../store/sqliteMigrate.ts';
import { preparedCache, type Db, type Prepare } from '../../common/sqlite.ts';
import type { CaseRecord, ConfirmedAlarm } from '../../protocol/cases.ts';

interface CaseRow {
  id: string;
  department: string;
  category: string;
  compound: string;
  occurred_at: number;
  registered_at: number;
  received_at: number;
  status: string;
  version: number;
  updated_at: number;
  posted_by: string;
}

export type AlarmStatus = 'pending' | 'confirmed' | 'dismissed';

export interface AlarmRow {
  id: string;
  compound: string;
  device: string;
  type: string;
  occurred_at: number;
  status: AlarmStatus;
  decided_at: number | null;
  decided_by: string | null;
  /** JSON of the event's anomaly score ({value, threshold, model, anomalous}) when the edge scored it. */
  score?: string | null;
  /** Who made the alarm's event (hub/index/alarm-rule.ts originOf): 'device' for a device's own message. */
  origin: string;
}

export interface StoredCase extends CaseRecord {
  /** Who posted this version (the token's department; older rows: the case's department). */
  postedBy: string;
  receivedAt: number;
  version: number;
  updatedAt: number;
}

const toCase = (r: CaseRow): StoredCase => ({
  id: r.id,
  department: r.department,
  category: r.category,
  compound: r.compound,
  occurredAt: r.occurred_at,
  registeredAt: r.registered_at,
  receivedAt: r.received_at,
  status: r.status,
  postedBy: r.posted_by || r.department,
  version: r.version,
  updatedAt: r.updated_at,
});

export type UpsertResult =
  | { kind: 'created'; stored: StoredCase }
  | { kind: 'unchanged'; stored: StoredCase }
  | { kind: 'updated'; stored: StoredCase; previous: StoredCase };

/** Most pending (unconfirmed) alarms kept; the oldest are pruned past this (they never score). */
export const MAX_PENDING_ALARMS = 200_000;

/**
 * Cases, device alarms and survey results in the hub's state database. Every case version is kept
 * (index_case_versions) so a reclassification is auditable; the engine reads only the current one.
 */
export class CaseStore {
  private readonly p: Prepare;

  constructor(readonly db: Db) {
    migrateSqlite(db); // tables, posted_by and the alarms' score column: hub/store/migrations/sqlite.ts
    this.p = preparedCache(db);
  }

  getCase(id: string): StoredCase | undefined {
    const r = this.p<[string], CaseRow>('SELECT * FROM index_cases WHERE id = ?').get(id);
    return r ? toCase(r) : undefined;
  }

  /**
   * A compound's cases that occurred at or after `from` (default: all), oldest first. The engine
   * asks only for the policy's look-back, read through the (compound, occurred_at) index, so a
   * re-rate costs the same after one year of cases as after five.
   */
  casesOf(compound: string, from = -Infinity): StoredCase[] {
    const since = Number.isFinite(from) ? from : Number.MIN_SAFE_INTEGER;
    return this.p<[string, number], CaseRow>('SELECT * FROM index_cases WHERE compound = ? AND occurred_at >= ? ORDER BY occurred_at, id').all(compound, since).map(toCase);
  }

  caseVersions(id: string): { version: number; at: number; body: CaseRecord }[] {
    return this
      .p<[string], { version: number; at: number; body: string }>('SELECT version, at, body FROM index_case_versions WHERE id = ? ORDER BY version')
      .all(id)
      .map((r) => ({ version: r.version, at: r.at, body: JSON.parse(r.body) as CaseRecord }));
  }

  /**
   * Idempotent by id: the same content again changes nothing; different content is a new version.
   * receivedAt stays the first arrival: a correction does not make an old case "new".
   */
  upsertCase(c: CaseRecord & { postedBy?: string }, now: number): UpsertResult {
    this.upsertTx ??= this.db.transaction((c: CaseRecord & { postedBy?: string }, now: number) => this.upsertInTx(c, now));
    return this.upsertTx(c, now);
  }

  private upsertTx: ((c: CaseRecord & { postedBy?: string }, now: number) => UpsertResult) | undefined;

  private upsertInTx(c: CaseRecord & { postedBy?: string }, now: number): UpsertResult {
    {
      const prev = this.getCase(c.id);
      const same = prev && prev.department === c.department && prev.category === c.category && prev.compound === c.compound &&
        prev.occurredAt === c.occurredAt && prev.registeredAt === c.registeredAt && prev.status === c.status;
      if (prev && same) return { kind: 'unchanged', stored: prev };
      const version = (prev?.version ?? 0) + 1;
      const receivedAt = prev?.receivedAt ?? now;
      const postedBy = c.postedBy ?? c.department;
      const body: CaseRecord = { id: c.id, department: c.department, category: c.category, compound: c.compound, occurredAt: c.occurredAt, registeredAt: c.registeredAt, status: c.status };
      this
        .p(
          `INSERT INTO index_cases (id, department, category, compound, occurred_at, registered_at, received_at, status, version, updated_at, posted_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET department = excluded.department, category = excluded.category, compound = excluded.compound,
             occurred_at = excluded.occurred_at, registered_at = excluded.registered_at, status = excluded.status,
             version = excluded.version, updated_at = excluded.updated_at, posted_by = excluded.posted_by`,
        )
        .run(c.id, c.department, c.category, c.compound, c.occurredAt, c.registeredAt, receivedAt, c.status, version, now, postedBy);
      // Every version keeps who posted it: the audit of a reclassification names the poster.
      this.p('INSERT INTO index_case_versions (id, version, at, body) VALUES (?, ?, ?, ?)').run(c.id, version, now, JSON.stringify({ ...body, postedBy }));
      const stored: StoredCase = { ...body, postedBy, receivedAt, version, updatedAt: now };
      return prev ? { kind: 'updated', stored, previous: prev } : { kind: 'created', stored };
    }
  }

  /**
   * A device alarm seen on the ingest path (hub/index/alarm-rule.ts decides which events open
   * one); it waits for an operator. Duplicates are ignored.
   */
  addPendingAlarm(a: { id: string; compound: string; device: string; type: string; occurredAt: number; score?: object; origin?: string }): boolean {
    const r = this
      .p("INSERT OR IGNORE INTO index_alarms (id, compound, device, type, occurred_at, status, score, origin) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)")
      .run(a.id, a.compound, a.device, a.type, a.occurredAt, a.score ? JSON.stringify(a.score) : null, a.origin ?? 'device');
    return r.changes > 0;
  }

  /**
   * Drop the oldest pending alarms past `keep` (oldest by occurrence, ties by id: the order
   * PostgreSQL's pruning uses too, hub/cluster/pruning.ts); returns them so their `problems`
   * points can be zeroed.
   */
  prunePendingAlarms(keep = MAX_PENDING_ALARMS): Pick<AlarmRow, 'id' | 'compound' | 'type' | 'occurred_at'>[] {
    const n = this.p<[], { n: number }>("SELECT count(*) AS n FROM index_alarms WHERE status = 'pending'").get()?.n ?? 0;
    if (n <= keep) return [];
    const gone = this
      .p<[number], Pick<AlarmRow, 'id' | 'compound' | 'type' | 'occurred_at'>>("SELECT id, compound, type, occurred_at FROM index_alarms WHERE status = 'pending' ORDER BY occurred_at, id LIMIT ?")
      .all(n - keep);
    const del = this.p('DELETE FROM index_alarms WHERE id = ?');
    this.db.transaction(() => {
      for (const a of gone) del.run(a.id);
    })();
    return gone;
  }

  getAlarm(id: string): AlarmRow | undefined {
    return this.p<[string], AlarmRow>('SELECT * FROM index_alarms WHERE id = ?').get(id);
  }

  decideAlarm(id: string, status: 'confirmed' | 'dismissed', at: number, by: string): AlarmRow | undefined {
    this.p('UPDATE index_alarms SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?').run(status, at, by, id);
    return this.getAlarm(id);
  }

  listAlarms(filter: { status?: AlarmStatus; compound?: string; limit: number }): AlarmRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.status) (where.push('status = ?'), args.push(filter.status));
    if (filter.compound) (where.push('compound = ?'), args.push(filter.compound));
    const sql = `SELECT * FROM index_alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY occurred_at DESC, id DESC LIMIT ?`;
    return this.p<(string | number)[], AlarmRow>(sql).all(...args, filter.limit);
  }

  confirmedAlarmsOf(compound: string, from = -Infinity): ConfirmedAlarm[] {
    const since = Number.isFinite(from) ? from : Number.MIN_SAFE_INTEGER;
    return this
      .p<[string, number], AlarmRow>("SELECT * FROM index_alarms WHERE compound = ? AND status = 'confirmed' AND occurred_at >= ? ORDER BY occurred_at, id")
      .all(compound, since)
      .map((r) => ({ id: r.id, compound: r.compound, type: r.type, occurredAt: r.occurred_at, confirmedAt: r.decided_at ?? r.occurred_at }));
  }

  /** Counting cases and undismissed alarms since `from`, for the common-problems view (no ids). */
  /** What /api/insights counts since `from`; `id` only picks a `problems` point's slot, never published. */
  problemRows(from: number, counting: readonly string[]): { id: string; compound: string; source: 'case' | 'alarm'; kind: string; at: number }[] {
    const cases = this.p<[number], { id: string; compound: string; category: string; status: string; occurred_at: number }>('SELECT id, compound, category, status, occurred_at FROM index_cases WHERE occurred_at >= ?').all(from);
    const ok = new Set(counting);
    const alarms = this.p<[number], { id: string; compound: string; type: string; occurred_at: number }>("SELECT id, compound, type, occurred_at FROM index_alarms WHERE occurred_at >= ? AND status != 'dismissed'").all(from);
    return [
      ...cases.filter((c) => ok.has(c.status)).map((c) => ({ id: c.id, compound: c.compound, source: 'case' as const, kind: c.category, at: c.occurred_at })),
      ...alarms.map((a) => ({ id: a.id, compound: a.compound, source: 'alarm' as const, kind: a.type, at: a.occurred_at })),
    ];
  }

  setSurvey(compound: string, satisfaction: number, at: number): void {
    this
      .p('INSERT INTO index_survey (compound, satisfaction, at) VALUES (?, ?, ?) ON CONFLICT(compound) DO UPDATE SET satisfaction = excluded.satisfaction, at = excluded.at')
      .run(compound, satisfaction, at);
  }

  surveyOf(compound: string): number | null {
    return this.p<[string], { satisfaction: number }>('SELECT satisfaction FROM index_survey WHERE compound = ?').get(compound)?.satisfaction ?? null;
  }
}
