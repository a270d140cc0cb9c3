import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { PgLeases } from '../../hub/cluster/lease.ts';
import { PgPartitionState } from '../../hub/cluster/state.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { clusterEvent, sleep } from './helpers.ts';

describe('partition leases with fencing (PostgreSQL)', () => {
  let db: TempDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTempDatabase('ss_lease');
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    await migratePg(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('a stale owner’s write is refused after a takeover, and changes nothing', async () => {
    const a = new PgLeases(pool, { workerId: 'wa', partitions: 4, ttlMs: 600 });
    const b = new PgLeases(pool, { workerId: 'wb', partitions: 4, ttlMs: 600 });
    await a.ensurePartitions();
    const [ha] = await a.claim(1);
    expect(ha).toEqual({ partition: 0, epoch: 1 });
    expect(await b.claim(4)).toEqual([{ partition: 1, epoch: 1 }, { partition: 2, epoch: 1 }, { partition: 3, epoch: 1 }]);
    expect(await b.claim(1)).toEqual([]); // nothing free while a's lease runs

    const sa = new PgPartitionState(pool, 'wa');
    const sb = new PgPartitionState(pool, 'wb');
    expect(await sa.apply(ha!, [clusterEvent(1, 1), clusterEvent(1, 2)])).toEqual({ applied: 2, duplicates: 0 });

    await sleep(800); // a stalls (GC pause, partition): its lease expires
    const [hb] = await b.claim(1);
    expect(hb).toEqual({ partition: 0, epoch: 2 });
    // a wakes up and writes with its old epoch: refused whole, not even the dedupe row is written.
    await expect(sa.apply(ha!, [clusterEvent(1, 3)])).rejects.toMatchObject({ code: 'SS_CLUSTER_FENCED' });
    expect(await a.renew([ha!])).toEqual([]); // and its renewal says the lease is gone
    const seen = await pool.query('SELECT id FROM seen WHERE id = $1', [clusterEvent(1, 3).id]);
    expect(seen.rowCount).toBe(0);
    // The new owner applies it (and dedupes the already applied ones).
    expect(await sb.apply(hb!, [clusterEvent(1, 2), clusterEvent(1, 3)])).toEqual({ applied: 1, duplicates: 1 });
    const n = await pool.query<{ events: string; epoch: string }>("SELECT events, epoch FROM compound_events WHERE compound = 'c1'");
    expect(n.rows[0]).toEqual({ events: '3', epoch: '2' });
    // Audit: partition 0 claimed at epoch 1 by wa, then epoch 2 by wb.
    const audit = await pool.query<{ owner: string; epoch: string; action: string }>('SELECT owner, epoch, action FROM audit WHERE partition = 0 ORDER BY id');
    expect(audit.rows).toEqual([{ owner: 'wa', epoch: '1', action: 'claim' }, { owner: 'wb', epoch: '2', action: 'claim' }]);
  });

  it('a takeover skips a partition whose owner is mid-write; that write commits, the next one is refused', async () => {
    const a = new PgLeases(pool, { workerId: 'wc', partitions: 8, ttlMs: 500 });
    const b = new PgLeases(pool, { workerId: 'wd', partitions: 8, ttlMs: 500 });
    await a.ensurePartitions();
    const mine = await a.claim(8); // every free or expired partition
    const ha = mine.find((h) => h.partition === 4)!;
    expect(ha).toBeDefined();
    // a's write transaction holds the fence while the lease runs out and b tries to take over.
    const c = await pool.connect();
    await c.query('BEGIN');
    await c.query('SELECT 1 FROM partition_leases WHERE partition = $1 AND epoch = $2 AND owner = $3 FOR SHARE', [4, ha.epoch, 'wc']);
    await c.query('INSERT INTO seen (id, at) VALUES ($1, 0)', ['in-flight-write']);
    await sleep(700);
    const taken = await b.claim(8);
    expect(taken.map((h) => h.partition)).not.toContain(4); // skipped, not stolen mid-write
    expect(taken.length).toBeGreaterThanOrEqual(mine.length - 1); // (plus any of the first test's, expired meanwhile)
    await c.query('COMMIT');
    c.release();
    expect((await pool.query("SELECT 1 FROM seen WHERE id = 'in-flight-write'")).rowCount).toBe(1);
    const [hb] = await b.claim(1);
    expect(hb).toEqual({ partition: 4, epoch: ha.epoch + 1 });
    await expect(new PgPartitionState(pool, 'wc').apply(ha, [clusterEvent(2, 1)])).rejects.toMatchObject({ code: 'SS_CLUSTER_FENCED' });
  });

  it('a release makes the partition claimable at once and is audited', async () => {
    const a = new PgLeases(pool, { workerId: 'we', partitions: 8, ttlMs: 60_000 });
    const b = new PgLeases(pool, { workerId: 'wf', partitions: 8, ttlMs: 60_000 });
    await sleep(600); // the previous test's short leases run out
    const got = await a.claim(1);
    expect(got).toHaveLength(1);
    expect(await a.release(got[0]!)).toBe(true);
    expect(await a.release(got[0]!)).toBe(false);
    const [hb] = await b.claim(1);
    expect(hb).toEqual({ partition: got[0]!.partition, epoch: got[0]!.epoch + 1 });
  });

  it('refuses nonsense options with a coded error', () => {
    expect(() => new PgLeases(pool, { workerId: 'x', partitions: 0, ttlMs: 1000 })).toThrow(/SS_CLUSTER_CONFIG/);
    expect(() => new PgLeases(pool, { workerId: 'x', partitions: 4, ttlMs: 10 })).toThrow(/SS_CLUSTER_CONFIG/);
  });
});
