import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { CaseStore } from '../../hub/cases/store.ts';
import { PgAlarmStore, PgSurveyStore, sqliteAlarmStore, sqliteSurveyStore, type AlarmStore, type SurveyStore } from '../../hub/cluster/decision-stores.ts';
import { PgLeases, type Held } from '../../hub/cluster/lease.ts';
import { PgPartitionState } from '../../hub/cluster/state.ts';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import type { Event } from '../../protocol/event.ts';
import { tempDir } from '../hub/helpers.ts';

/**
 * ONE contract per interface (alarm decisions, surveys), run against the embedded SQLite
 * CaseStore and PostgreSQL (cluster mode). Each backend takes events through its own ingest
 * path (the embedded IndexRating; a partition owner's fenced PgPartitionState), so which events
 * open alarms (hub/index/alarm-rule.ts) is part of the contract; "reopen" is a new store object
 * on the same file / database.
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
  /** Events through the backend's ingest path, at the hub's `now`. */
  ingest(events: readonly Event[], now: number): Promise<void>;
}

const policy = defaultPolicy();
const FAR = Date.UTC(2030, 0, 1);

/** A device event of compound `compound` (district d1, edge e1); `over` changes any field. */
const event = (id: string, compound: string, device: string, type: string, at: number, over: Partial<Event> = {}): Event =>
  ({ v: 1, id, deviceTime: at, receivedAt: at, district: 'd1', compound, edge: 'e1', device, kind: 'fence', type, severity: 'major', attributes: {}, ...over }) as Event;

/** An alarm opened the way the ingest path opens one (the event of that alarm, heard long before `now`). */
const seed = (b: Backend, a: Seed): Promise<void> => b.ingest([event(a.id, a.compound, a.device, a.type, a.at)], FAR);

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
    async ingest(events, now) {
      // The embedded hub's way in: its engine takes the accepted batch (learning the compounds).
      const state = new StateDb(file);
      const engine = new IndexRating({ state, now: () => now }, { manual: true, policy });
      try {
        engine.onEvents(events);
      } finally {
        engine.close();
        state.close();
      }
    },
  };
}

function pgBackend(): Backend {
  let db: TempDatabase;
  let pool: pg.Pool;
  let held: Held;
  return {
    name: 'PostgreSQL',
    async setup() {
      db = await createTempDatabase('ss_decisions');
      pool = new pg.Pool({ connectionString: db.url, max: 2 });
      await migratePg(pool);
      // One partition, owned for the whole suite: its owner's fenced transaction writes the alarms.
      const leases = new PgLeases(pool, { workerId: 'w', partitions: 1, ttlMs: 600_000 });
      await leases.ensurePartitions();
      held = (await leases.claim(1))[0]!;
    },
    async teardown() {
      await pool?.end();
      await db?.drop();
    },
    alarms: () => new PgAlarmStore(pool, 7),
    surveys: () => new PgSurveyStore(pool, { partition: 3, epoch: 7 }),
    async ingest(events, now) {
      await new PgPartitionState(pool, 'w', () => now, policy).apply(held, events);
    },
  };
}

const T = Date.UTC(2027, 0, 5, 3, 0, 0);

describe.each([sqliteBackend(), pgBackend()])('alarm decision contract: $name', (b) => {
  beforeAll(() => b.setup());
  afterAll(() => b.teardown());

  it('new alarms are pending; confirm and dismiss are stored with who and when, and survive a reopen', async () => {
    await seed(b, { id: 'a1', compound: 'c1', device: 'c1-fence', type: 'fence-alarm', at: T });
    await seed(b, { id: 'a2', compound: 'c1', device: 'c1-door', type: 'door-forced', at: T + 1000 });
    await seed(b, { id: 'a3', compound: 'c2', device: 'c2-fence', type: 'fence-alarm', at: T + 2000 });
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
    await seed(b, { id: 'a4', compound: 'c1', device: 'c1-fence', type: 'fence-alarm', at: T - 10_000 });
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

describe.each([sqliteBackend(), pgBackend()])('which events open alarms, their order and pruning: $name', (b) => {
  beforeAll(() => b.setup());
  afterAll(() => b.teardown());
  const NOW = T + 3_600_000;
  const score = { value: 0.93, threshold: 0.8, model: 'fence-v3', anomalous: true };

  it('policy-weighed types only (not by severity), never the edge’s own records; origin, score and a time no later than now kept; one alarm per id', async () => {
    await b.ingest(
      [
        event('o1', 'c1', 'c1-fence', 'fence-alarm', T, { score }),
        event('o2', 'c1', 'c1-psu', 'power-loss', T + 1, { severity: 'critical' }), // severe, but the policy does not weigh it
        event('o3', 'c1', 'c1-box', 'tamper', T + 2, { severity: 'minor' }), // weighed: an alarm whatever its severity
        event('o4', 'c1', 'c1-fence', 'wire-cut', T + 3, { attributes: { origin: 'edge', reason: 'test' } }), // the edge's own record
        event('o5', 'c2', 'c2-door', 'door-forced', T + 4, { attributes: { origin: 'gateway-7' } }),
        event('o6', 'c2', 'c2-panic', 'duress', NOW + 600_000), // device clock ahead of the hub: dated now
        event('o7', 'c2', 'c2-cam', 'heartbeat', T + 5, { severity: 'info' }),
        event('o1', 'c1', 'c1-fence', 'fence-alarm', T + 9), // the same event again
      ],
      NOW,
    );
    const rows = await b.alarms().list({ limit: 100 });
    expect(rows.map((a) => ({ id: a.id, compound: a.compound, device: a.device, type: a.type, at: a.occurred_at, origin: a.origin, status: a.status }))).toEqual([
      { id: 'o6', compound: 'c2', device: 'c2-panic', type: 'duress', at: NOW, origin: 'device', status: 'pending' },
      { id: 'o5', compound: 'c2', device: 'c2-door', type: 'door-forced', at: T + 4, origin: 'gateway-7', status: 'pending' },
      { id: 'o3', compound: 'c1', device: 'c1-box', type: 'tamper', at: T + 2, origin: 'device', status: 'pending' },
      { id: 'o1', compound: 'c1', device: 'c1-fence', type: 'fence-alarm', at: T, origin: 'device', status: 'pending' },
    ]);
    expect(JSON.parse(rows.find((a) => a.id === 'o1')!.score!)).toEqual(score);
    expect(rows.find((a) => a.id === 'o3')!.score ?? null).toBeNull();
    // And it survives a reopen.
    expect(await b.alarms().get('o5')).toMatchObject({ origin: 'gateway-7', occurred_at: T + 4 });
  });

  it('same time: newest id first in lists, oldest id first in what scores', async () => {
    const at = T + 7200_000;
    await b.ingest(['t-b', 't-c', 't-a'].map((id) => event(id, 'c3', 'c3-fence', 'fence-alarm', at)), FAR);
    const s = b.alarms();
    expect((await s.list({ compound: 'c3', limit: 10 })).map((a) => a.id)).toEqual(['t-c', 't-b', 't-a']);
    for (const id of ['t-c', 't-a', 't-b']) await s.decide(id, 'confirmed', at + 1000, 'operator');
    expect((await s.confirmedOf('c3')).map((a) => a.id)).toEqual(['t-a', 't-b', 't-c']);
  });

  it('pruning drops the oldest pending alarms past the cap (ties by id), never a decided one', async () => {
    const at = T + 10_800_000;
    await b.ingest(['p-2', 'p-1', 'p-3', 'p-4', 'p-5'].map((id, i) => event(id, 'c4', 'c4-fence', 'fence-alarm', at + (id === 'p-1' ? 0 : i * 1000))), FAR);
    const s = b.alarms();
    await s.decide('o1', 'dismissed', at, 'operator'); // the oldest of all, decided: stays
    const pending = async (): Promise<string[]> => (await s.list({ status: 'pending', limit: 100 })).map((a) => a.id).sort();
    // Pending now: o3, o5, o6 and p-1..p-5 (8). p-2 and p-1 share the oldest time of the p's.
    expect(await pending()).toEqual(['o3', 'o5', 'o6', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
    expect(await s.prunePending(8)).toBe(0);
    expect(await s.prunePending(4)).toBe(4); // o3, o5, o6 (oldest), then p-1 before p-2 at the same time
    expect(await pending()).toEqual(['p-2', 'p-3', 'p-4', 'p-5']);
    expect(await b.alarms().get('o1')).toMatchObject({ status: 'dismissed' });
    expect((await s.confirmedOf('c3')).map((a) => a.id)).toEqual(['t-a', 't-b', 't-c']);
    expect(await b.alarms().prunePending(4)).toBe(0);
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
