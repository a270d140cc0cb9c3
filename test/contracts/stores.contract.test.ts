import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import type { City } from '../../protocol/city.ts';
import { sqliteIngestStore, sqliteStateStore, type IngestStore, type StateStore } from '../../hub/cluster/stores.ts';
import { IngestDb } from '../../hub/store/ingestDb.ts';
import { PgIngestStore } from '../../hub/store/pgIngest.ts';
import { PG_MIGRATIONS } from '../../hub/store/migrations/pg.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import { makeEvent, tempDir } from '../hub/helpers.ts';

/**
 * ONE contract for the hub's stores, run against the embedded SQLite default and PostgreSQL
 * (cluster mode). "Reopen" means a new store object on the same file / database, as after a restart.
 */
interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  state(): Promise<StateStore>;
  ingest(now: () => number): Promise<IngestStore>;
}

function sqliteBackend(): Backend {
  let dir = '';
  return {
    name: 'SQLite',
    async setup() {
      dir = tempDir('safestar-contract-');
    },
    async teardown() {},
    async state() {
      return sqliteStateStore(new StateDb(join(dir, 'state.db')));
    },
    async ingest(now) {
      return sqliteIngestStore(new IngestDb(join(dir, 'ingest.db'), now));
    },
  };
}

function pgBackend(): Backend {
  let db: TempDatabase;
  const pools: pg.Pool[] = [];
  const pool = async (): Promise<pg.Pool> => {
    const p = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(p);
    return p;
  };
  return {
    name: 'PostgreSQL',
    async setup() {
      db = await createTempDatabase('ss_contract');
      const p = await pool();
      expect(await migratePg(p)).toEqual(PG_MIGRATIONS.map((m) => m.version));
      expect(await migratePg(p)).toEqual([]); // idempotent: nothing left to apply
    },
    async teardown() {
      for (const p of pools) await p.end();
      await db?.drop();
    },
    async state() {
      return new PgStateStore(await pool());
    },
    async ingest(now) {
      return new PgIngestStore(await pool(), now);
    },
  };
}

const city: City = {
  v: 1,
  seed: 1,
  name: 'Contract City',
  districts: [{ id: 'd1', name: 'One' }],
  compounds: [
    { id: 'c2', name: 'Two', district: 'd1', households: 20, lat: 24.5, lon: 118.1, devices: [{ id: 'c2-gate', kind: 'barrier', profile: 'hikcentral-parking', heartbeatSeconds: 60 }] },
    {
      id: 'c1', name: 'One', district: 'd1', households: 10, lat: 24.4, lon: 118.0,
      devices: [
        { id: 'c1-door-b', kind: 'access', profile: 'dahua-access', heartbeatSeconds: 30 },
        { id: 'c1-door-a', kind: 'access', profile: 'dahua-access', heartbeatSeconds: 30 },
      ],
    },
  ],
} as unknown as City;

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each([sqliteBackend(), pgBackend()])('store contract: $name', (b) => {
  beforeAll(() => b.setup());
  afterAll(() => b.teardown());

  it('registers a city (upsert), keeps registered rows over learned ones, survives a reopen', async () => {
    let s = await b.state();
    await s.registerCity(city);
    await s.registerCity({ ...city, compounds: [{ ...city.compounds[0]!, households: 25 }, city.compounds[1]!] });
    await s.addLearned(
      [{ id: 'c1', name: 'learned', district: 'dx', households: 0, lat: null, lon: null }, { id: 'c9', name: 'c9', district: 'd1', households: 0, lat: null, lon: null }],
      [{ id: 'c1-door-a', compound: 'c9', kind: 'camera', profile: null, heartbeat_s: 1 }, { id: 'c9-cam', compound: 'c9', kind: 'camera', profile: null, heartbeat_s: 120 }],
    );
    await s.addLearned([], []);
    await s.close();
    s = await b.state();
    expect(await s.compounds()).toEqual([
      { id: 'c1', name: 'One', district: 'd1', households: 10, lat: 24.4, lon: 118.0 },
      { id: 'c2', name: 'Two', district: 'd1', households: 25, lat: 24.5, lon: 118.1 },
      { id: 'c9', name: 'c9', district: 'd1', households: 0, lat: null, lon: null },
    ]);
    expect((await all(s.devices())).map((d) => [d.compound, d.id, d.kind, d.heartbeat_s])).toEqual([
      ['c1', 'c1-door-a', 'access', 30],
      ['c1', 'c1-door-b', 'access', 30],
      ['c2', 'c2-gate', 'barrier', 60],
      ['c9', 'c9-cam', 'camera', 120],
    ]);
    await s.close();
  });

  it('streams many devices in (compound, id) order', async () => {
    const s = await b.state();
    const devices = Array.from({ length: 2500 }, (_, i) => ({ id: `m-${String(i).padStart(5, '0')}`, compound: `m${i % 3}`, kind: 'fence' as const, profile: null, heartbeat_s: 60 }));
    await s.addLearned([], devices);
    const got = (await all(s.devices())).filter((d) => d.id.startsWith('m-'));
    expect(got).toHaveLength(2500);
    const keys = got.map((d) => `${d.compound}/${d.id}`);
    expect(keys).toEqual([...keys].sort());
    await s.close();
  });

  it('keeps key/value settings', async () => {
    const s = await b.state();
    expect(await s.getKv('missing')).toBeUndefined();
    await s.setKv('rating.snapshot', '{"a":1}');
    await s.setKv('rating.snapshot', '{"a":2}');
    expect(await s.getKv('rating.snapshot')).toBe('{"a":2}');
    await s.close();
  });

  it('dedupes by event id within a batch, across commits and across a reopen', async () => {
    let now = 1_000_000;
    let st = await b.ingest(() => now);
    const [r1, r2] = await st.commit([
      { events: [makeEvent(1), makeEvent(2), makeEvent(1)], deadLetters: [] },
      { events: [makeEvent(2), makeEvent(3)], deadLetters: [{ edge: 'edge-1', reason: 'SS_DL_JSON', detail: 'd', raw: '{' }] },
    ]);
    expect(r1!.accepted.map((e) => e.id)).toEqual([makeEvent(1).id, makeEvent(2).id]);
    expect(r1!.duplicates).toBe(1);
    expect(r2!.accepted.map((e) => e.id)).toEqual([makeEvent(3).id]);
    expect(r2!.duplicates).toBe(1);
    await st.close();
    st = await b.ingest(() => now);
    const [r3] = await st.commit([{ events: [makeEvent(3), makeEvent(4)], deadLetters: [] }]);
    expect(r3).toEqual({ accepted: [makeEvent(4)], duplicates: 1 });
    expect(await st.deadLetterCount()).toBe(1);
    now += 1;
    await st.close();
  });

  it('forgets only ids older than the retention, in bounded steps', async () => {
    let now = 5_000_000;
    const st = await b.ingest(() => now);
    await st.commit([{ events: Array.from({ length: 10 }, (_, i) => makeEvent(500 + i)), deadLetters: [] }]);
    now = 6_000_000;
    await st.commit([{ events: Array.from({ length: 10 }, (_, i) => makeEvent(600 + i)), deadLetters: [] }]);
    let removed = 0;
    for (let k = 0; k < 12; k++) {
      const n = await st.pruneSeen(5_500_000, 4);
      expect(n).toBeLessThanOrEqual(4);
      removed += n;
    }
    // Earlier tests' ids (at 1,000,000) are older too: they go as well.
    const [r] = await st.commit([{ events: [makeEvent(500), makeEvent(600), makeEvent(1)], deadLetters: [] }]);
    expect(r!.accepted.map((e) => e.id)).toEqual([makeEvent(500).id, makeEvent(1).id]);
    expect(removed).toBe(14);
    await st.close();
  });

  it('stores dead letters bounded, newest first, filterable by reason', async () => {
    const st = await b.ingest(() => 7_000_000);
    await st.addDeadLetters(Array.from({ length: 20 }, (_, i) => ({ edge: 'edge-1', reason: i % 2 ? 'SS_DL_JSON' : 'SS_DL_ENVELOPE', detail: `n${i}`, raw: '{' }) as const));
    expect((await st.deadLetters(3)).map((d) => d.detail)).toEqual(['n19', 'n18', 'n17']);
    expect((await st.deadLetters(2, 'SS_DL_ENVELOPE')).map((d) => [d.detail, d.reason, d.at, d.edge])).toEqual([
      ['n18', 'SS_DL_ENVELOPE', 7_000_000, 'edge-1'],
      ['n16', 'SS_DL_ENVELOPE', 7_000_000, 'edge-1'],
    ]);
    await st.pruneDeadLetters(5);
    expect(await st.deadLetterCount()).toBe(5);
    await st.close();
  });
});
