import type pg from 'pg';
import type { AlarmRow, AlarmStatus, CaseStore } from '../cases/store.ts';
import type { ConfirmedAlarm } from '../index/types.ts';
import { prunePendingAlarms } from './pruning.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Operator decisions on device alarms, behind one interface for both stores: the embedded hub's
 * SQLite CaseStore (sqliteAlarmStore) and PostgreSQL in cluster mode (PgAlarmStore). One contract
 * suite (test/contracts/decisions.contract.test.ts) runs against both. Alarms themselves are
 * written on the ingest path of each (IndexRating → CaseStore.addPendingAlarm; hub/cluster/state.ts),
 * both by one rule (hub/index/alarm-rule.ts).
 */
export interface AlarmStore {
  get(id: string): Promise<AlarmRow | undefined>;
  /** Set the decision (a repeat of the same decision changes nothing); undefined for an unknown id. */
  decide(id: string, status: 'confirmed' | 'dismissed', at: number, by: string): Promise<AlarmRow | undefined>;
  /** Newest first (by occurrence, ties by id, newest id first). */
  list(filter: { status?: AlarmStatus; compound?: string; limit: number }): Promise<AlarmRow[]>;
  /** Confirmed alarms of a compound since `from`, oldest first (what the index scores). */
  confirmedOf(compound: string, from?: number): Promise<ConfirmedAlarm[]>;
  /** Delete the oldest pending alarms past `keep` (oldest occurrence first, ties by id; decided ones stay); returns how many went. */
  prunePending(keep: number): Promise<number>;
}

/** Resident survey results (share satisfied, 0..1), the latest per compound. */
export interface SurveyStore {
  set(compound: string, satisfaction: number, at: number): Promise<void>;
  get(compound: string): Promise<number | null>;
}

export function sqliteAlarmStore(cases: CaseStore): AlarmStore {
  return {
    get: async (id) => cases.getAlarm(id),
    decide: async (id, status, at, by) => {
      const prev = cases.getAlarm(id);
      if (!prev || prev.status === status) return prev;
      return cases.decideAlarm(id, status, at, by);
    },
    list: async (f) => cases.listAlarms(f),
    confirmedOf: async (c, from) => cases.confirmedAlarmsOf(c, from),
    prunePending: async (keep) => cases.prunePendingAlarms(keep).length,
  };
}

export function sqliteSurveyStore(cases: CaseStore): SurveyStore {
  return {
    set: async (c, s, at) => cases.setSurvey(c, s, at),
    get: async (c) => cases.surveyOf(c),
  };
}

interface PgAlarm {
  event_id: string;
  compound: string;
  device: string;
  type: string;
  device_time: string;
  status: AlarmStatus;
  decided_at: string | null;
  decided_by: string | null;
  origin: string;
  score: string | null;
}

const SELECT_ALARM = 'SELECT event_id, compound, device, type, device_time, status, decided_at, decided_by, origin, score FROM alarms';

const toAlarm = (r: PgAlarm): AlarmRow => ({
  id: r.event_id,
  compound: r.compound,
  device: r.device,
  type: r.type,
  occurred_at: Number(r.device_time),
  status: r.status,
  decided_at: r.decided_at === null ? null : Number(r.decided_at),
  decided_by: r.decided_by,
  score: r.score,
  origin: r.origin,
});

/**
 * PostgreSQL alarms (the `alarms` rows the partition owners write). `epoch`: the writing owner's
 * lease epoch, kept with a decision (its transaction is fenced by the caller).
 */
export class PgAlarmStore implements AlarmStore {
  constructor(
    private readonly q: Queryable,
    private readonly epoch: number | null = null,
  ) {}

  async get(id: string): Promise<AlarmRow | undefined> {
    const r = (await this.q.query<PgAlarm>(`${SELECT_ALARM} WHERE event_id = $1`, [id])).rows[0];
    return r && toAlarm(r);
  }

  async decide(id: string, status: 'confirmed' | 'dismissed', at: number, by: string): Promise<AlarmRow | undefined> {
    await this.q.query('UPDATE alarms SET status = $2, decided_at = $3, decided_by = $4, decided_epoch = $5 WHERE event_id = $1 AND status <> $2', [id, status, at, by, this.epoch]);
    return this.get(id);
  }

  async list(f: { status?: AlarmStatus; compound?: string; limit: number }): Promise<AlarmRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.status) where.push(`status = $${args.push(f.status)}`);
    if (f.compound) where.push(`compound = $${args.push(f.compound)}`);
    const sql = `${SELECT_ALARM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY device_time DESC, event_id DESC LIMIT $${args.push(f.limit)}`;
    return (await this.q.query<PgAlarm>(sql, args)).rows.map(toAlarm);
  }

  async confirmedOf(compound: string, from = -Infinity): Promise<ConfirmedAlarm[]> {
    const since = Number.isFinite(from) ? from : Number.MIN_SAFE_INTEGER;
    const r = await this.q.query<PgAlarm>(`${SELECT_ALARM} WHERE compound = $1 AND status = 'confirmed' AND device_time >= $2 ORDER BY device_time, event_id`, [compound, since]);
    return r.rows.map((x) => ({ id: x.event_id, compound: x.compound, type: x.type, occurredAt: Number(x.device_time), confirmedAt: x.decided_at === null ? Number(x.device_time) : Number(x.decided_at) }));
  }

  /** The coordinator's rule (pruning.ts), one pass (at most 50,000 rows). */
  prunePending(keep: number): Promise<number> {
    return prunePendingAlarms(this.q, keep);
  }
}

/** PostgreSQL surveys; `writer`: the owner's partition and epoch kept with the row. */
export class PgSurveyStore implements SurveyStore {
  constructor(
    private readonly q: Queryable,
    private readonly writer: { partition: number; epoch: number } | null = null,
  ) {}

  async set(compound: string, satisfaction: number, at: number): Promise<void> {
    await this.q.query(
      `INSERT INTO surveys (compound, satisfaction, at, partition, epoch) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (compound) DO UPDATE SET satisfaction = excluded.satisfaction, at = excluded.at, partition = excluded.partition, epoch = excluded.epoch`,
      [compound, satisfaction, at, this.writer?.partition ?? null, this.writer?.epoch ?? null],
    );
  }

  async get(compound: string): Promise<number | null> {
    const r = (await this.q.query<{ satisfaction: number }>('SELECT satisfaction FROM surveys WHERE compound = $1', [compound])).rows[0];
    return r ? r.satisfaction : null;
  }
}
