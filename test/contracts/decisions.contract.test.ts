import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { CaseStore } from '../../hub/cases/store.ts';
import { PgAlarmStore, PgSurveyStore, sqliteAlarmStore, sqliteSurveyStore, type AlarmStore, type SurveyStore } from '../../hub/cluster/decision-stores.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { tempDir } from '../hub/helpers.ts';

/**
 * ONE contract per interface (alarm decisions, surveys), run against the embedded SQLite
 * CaseStore and PostgreSQL (cluster mode). Each backend seeds alarms its own way, as its ingest
 * path writes them; "reopen" is a new store object on the same file / database.
 */
interface Seed {
  id: string;
  compound: string;
  device: string;
  type: string;
  at: number;
}

interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  alarms(): AlarmStore;
  surveys(): SurveyStore;
  seed(a: Seed): Promise<void>;
}

function sqliteBackend(): Backend {
  let file = '';
  const dbs: Database.Database[] = [];
  const open = (): CaseStore => {
    const db = new Database(file);
    dbs.push(db);
    return new CaseStore(db);
  };
  return {
    name: 'SQLite',
    async setup() {
      file = join(tempDir('safestar-decisions-'), 'state.db');
    },
    async teardown() {
      for (const d of dbs) d.close();
    },
    alarms: () => sqliteAlarmStore(open()),
    surveys: () => sqliteSurveyStore(open()),
    async seed(a) {
      open().addPendingAlarm({ id: a.id, compound: a.compound, device: a.device, type: a.type, occurredAt: a.at });
    },
  };
}

function pgBackend(): Backend {
  let db: TempDatabase;
  let pool: pg.Pool;
  return {
    name: 'PostgreSQL',
    async setup() {
      db = await createTempDatabase('ss_decisions');
      pool = new pg.Pool({ connectionString: db.url, max: 2 });
      await migratePg(pool);
    },
    async teardown() {
      await pool?.end();
      await db?.drop();
    },
    alarms: () => new PgAlarmStore(pool, 7),
    surveys: () => new PgSurveyStore(pool, { partition: 3, epoch: 7 }),
    async seed(a) {
      // The row hub/cluster/state.ts writes for a major event.
      await pool.query("INSERT INTO alarms (event_id, compound, device, type, severity, device_time, partition, owner, epoch) VALUES ($1, $2, $3, $4, 'major', $5, 0, 'w', 1)", [a.id, a.compound, a.device, a.type, a.at]);
    },
  };
}

const T = Date.UTC(2027, 0, 5, 3, 0, 0);

describe.each([sqliteBackend(), pgBackend()])('alarm decision contract: $name', (b) => {
  beforeAll(() => b.setup());
  afterAll(() => b.teardown());

  it('new alarms are pending; confirm and dismiss are stored with who and when, and survive a reopen', async () => {
    await b.seed({ id: 'a1', compound: 'c1', device: 'c1-fence', type: 'fence-alarm', at: T });
    await b.seed({ id: 'a2', compound: 'c1', device: 'c1-door', type: 'door-forced', at: T + 1000 });
    await b.seed({ id: 'a3', compound: 'c2', device: 'c2-fence', type: 'fence-alarm', at: T + 2000 });
    const s = b.alarms();
    expect(await s.get('a1')).toMatchObject({ id: 'a1', compound: 'c1', device: 'c1-fence', type: 'fence-alarm', occurred_at: T, status: 'pending', decided_at: null, decided_by: null });
    expect(await s.get('nope')).toBeUndefined();
    expect(await s.decide('nope', 'confirmed', T, 'operator')).toBeUndefined();
    expect(await s.decide('a1', 'confirmed', T + 5000, 'operator')).toMatchObject({ id: 'a1', status: 'confirmed', decided_at: T + 5000, decided_by: 'operator' });
    expect(await s.decide('a2', 'dismissed', T + 6000, 'operator')).toMatchObject({ status: 'dismissed', decided_at: T + 6000 });
    // The same decision again changes nothing (its time stays the first).
    expect(await s.decide('a1', 'confirmed', T + 9000, 'someone')).toMatchObject({ status: 'confirmed', decided_at: T + 5000, decided_by: 'operator' });
    expect(await b.alarms().get('a2')).toMatchObject({ status: 'dismissed', decided_at: T + 6000, decided_by: 'operator' });
  });

  it('lists newest first with status and compound filters and a limit', async () => {
    const s = b.alarms();
    expect((await s.list({ limit: 10 })).map((a) => a.id)).toEqual(['a3', 'a2', 'a1']);
    expect((await s.list({ status: 'pending', limit: 10 })).map((a) => a.id)).toEqual(['a3']);
    expect((await s.list({ compound: 'c1', limit: 10 })).map((a) => a.id)).toEqual(['a2', 'a1']);
    expect((await s.list({ compound: 'c1', status: 'confirmed', limit: 10 })).map((a) => a.id)).toEqual(['a1']);
    expect((await s.list({ limit: 1 })).map((a) => a.id)).toEqual(['a3']);
  });

  it('only confirmed alarms of the compound since `from` score, oldest first, a dismissal takes one back out', async () => {
    await b.seed({ id: 'a4', compound: 'c1', device: 'c1-fence', type: 'fence-alarm', at: T - 10_000 });
    const s = b.alarms();
    await s.decide('a4', 'confirmed', T + 7000, 'operator');
    expect(await s.confirmedOf('c1')).toEqual([
      { id: 'a4', compound: 'c1', type: 'fence-alarm', occurredAt: T - 10_000, confirmedAt: T + 7000 },
      { id: 'a1', compound: 'c1', type: 'fence-alarm', occurredAt: T, confirmedAt: T + 5000 },
    ]);
    expect((await s.confirmedOf('c1', T)).map((a) => a.id)).toEqual(['a1']);
    expect(await s.confirmedOf('c2')).toEqual([]);
    await s.decide('a1', 'dismissed', T + 8000, 'operator');
    expect((await s.confirmedOf('c1')).map((a) => a.id)).toEqual(['a4']);
  });
});

describe.each([sqliteBackend(), pgBackend()])('survey contract: $name', (b) => {
  beforeAll(() => b.setup());
  afterAll(() => b.teardown());

  it('none until entered; the latest result per compound wins; survives a reopen', async () => {
    const s = b.surveys();
    expect(await s.get('c1')).toBeNull();
    await s.set('c1', 0.8, T);
    await s.set('c2', 0.35, T);
    expect(await s.get('c1')).toBe(0.8);
    await s.set('c1', 0.925, T + 1000);
    expect(await b.surveys().get('c1')).toBe(0.925);
    expect(await b.surveys().get('c2')).toBe(0.35);
    await s.set('c2', 0, T + 2000);
    expect(await b.surveys().get('c2')).toBe(0);
  });
});
