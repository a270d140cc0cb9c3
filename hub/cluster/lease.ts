import type pg from 'pg';
import { HubError } from '../errors.ts';

/** A partition this worker holds, with the fencing number its writes must carry. */
export interface Held {
  partition: number;
  epoch: number;
}

export interface LeaseOptions {
  workerId: string;
  partitions: number;
  /** A lease not renewed for this long may be taken by another worker. */
  ttlMs: number;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Partition leases in PostgreSQL: one row per partition (owner, epoch, expires_at). Claiming bumps
 * the epoch, so every claim gets a number larger than any before it: the fencing token. Times are
 * the database's own clock (now()), never the workers': one clock for all, no skew between boxes.
 */
export class PgLeases {
  constructor(
    private readonly pool: pg.Pool,
    readonly o: LeaseOptions,
  ) {
    if (!Number.isInteger(o.partitions) || o.partitions < 1 || o.partitions > 4096) throw new HubError('SS_CLUSTER_CONFIG', `partitions must be 1…4096 (got ${o.partitions})`);
    if (!(o.ttlMs >= 500)) throw new HubError('SS_CLUSTER_CONFIG', `lease ttl must be ≥ 500 ms (got ${o.ttlMs})`);
  }

  /** Create the partition rows (idempotent; every worker does it at start). */
  async ensurePartitions(): Promise<void> {
    await this.pool.query('INSERT INTO partition_leases (partition) SELECT generate_series(0, $1::int - 1) ON CONFLICT DO NOTHING', [this.o.partitions]);
  }

  /** I am alive (the fair share of partitions is computed over live workers). */
  async heartbeat(): Promise<void> {
    await this.pool.query('INSERT INTO cluster_workers (id, seen_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()', [this.o.workerId]);
  }

  async liveWorkers(): Promise<number> {
    const r = await this.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM cluster_workers WHERE seen_at > now() - $1::int * interval '1 millisecond'", [this.o.ttlMs]);
    return Math.max(1, r.rows[0]?.n ?? 1);
  }

  /** Extend the leases still ours at the epoch we hold; returns those (the others were taken). */
  async renew(held: readonly Held[]): Promise<Held[]> {
    if (held.length === 0) return [];
    const r = await this.pool.query<{ partition: number; epoch: string }>(
      `UPDATE partition_leases l SET expires_at = now() + $2::int * interval '1 millisecond'
       FROM unnest($3::int[], $4::bigint[]) AS h(partition, epoch)
       WHERE l.partition = h.partition AND l.epoch = h.epoch AND l.owner = $1
       RETURNING l.partition, l.epoch`,
      [this.o.workerId, this.o.ttlMs, held.map((h) => h.partition), held.map((h) => h.epoch)],
    );
    return r.rows.map((x) => ({ partition: x.partition, epoch: Number(x.epoch) }));
  }

  /**
   * Take up to `max` free or expired partitions: epoch + 1, audited. SKIP LOCKED: a row another
   * worker is claiming, or an owner is writing under (its fence holds FOR SHARE), is left for the
   * next round instead of waited for.
   */
  async claim(max: number): Promise<Held[]> {
    if (max <= 0) return [];
    const r = await this.pool.query<{ partition: number; epoch: string }>(
      `WITH cand AS (
         SELECT partition FROM partition_leases
         WHERE partition < $3 AND (owner IS NULL OR expires_at < now())
         ORDER BY partition LIMIT $2 FOR UPDATE SKIP LOCKED),
       upd AS (
         UPDATE partition_leases l SET owner = $1, epoch = l.epoch + 1, expires_at = now() + $4::int * interval '1 millisecond'
         FROM cand WHERE l.partition = cand.partition RETURNING l.partition, l.epoch),
       aud AS (INSERT INTO audit (partition, owner, epoch, action) SELECT partition, $1, epoch, 'claim' FROM upd)
       SELECT partition, epoch FROM upd ORDER BY partition`,
      [this.o.workerId, max, this.o.partitions, this.o.ttlMs],
    );
    return r.rows.map((x) => ({ partition: x.partition, epoch: Number(x.epoch) }));
  }

  /** Give a partition back (it becomes claimable at once); false if it was no longer ours. */
  async release(h: Held): Promise<boolean> {
    const r = await this.pool.query(
      `WITH upd AS (
         UPDATE partition_leases SET owner = NULL, expires_at = '-infinity'
         WHERE partition = $2 AND epoch = $3 AND owner = $1 RETURNING partition, epoch)
       INSERT INTO audit (partition, owner, epoch, action) SELECT partition, $1, epoch, 'release' FROM upd`,
      [this.o.workerId, h.partition, h.epoch],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async leave(): Promise<void> {
    await this.pool.query('DELETE FROM cluster_workers WHERE id = $1', [this.o.workerId]);
  }
}

/**
 * The fence, inside a state-writing transaction: the partition must still be at `epoch` with this
 * owner. FOR SHARE holds the lease row until COMMIT, so a takeover (an UPDATE of that row) waits
 * for this transaction or skips the row: a write either commits before the epoch moves on, or is
 * refused after. Throws SS_CLUSTER_FENCED; the caller rolls back.
 */
export async function fenceInTx(c: Queryable, owner: string, h: Held): Promise<void> {
  const r = await c.query('SELECT 1 FROM partition_leases WHERE partition = $1 AND epoch = $2 AND owner = $3 FOR SHARE', [h.partition, h.epoch, owner]);
  if ((r.rowCount ?? 0) === 0) throw new HubError('SS_CLUSTER_FENCED', `partition ${h.partition} epoch ${h.epoch} is no longer held by ${owner}`);
}
