import type pg from 'pg';
import type { SessionStore } from './session-store.ts';
import { inTransaction } from '../../store/pg-tx.ts';

/**
 * Console sessions in PostgreSQL (table console_sessions, PG migration 9) for cluster workers:
 * a login on one worker is honoured by every worker behind the load balancer, survives a worker
 * restart, and a logout on any of them ends it everywhere (every request reads the row; nothing
 * is cached per process).
 */
export class PgSessionStore implements SessionStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(digest: string, createdAt: number, expiresAt: number, now: number, max: number): Promise<void> {
    // One statement chain in a transaction: the prune and the bound never see a half-made login.
    await inTransaction(this.pool, async (c) => {
      await c.query('DELETE FROM console_sessions WHERE expires_at <= $1', [now]);
      await c.query('INSERT INTO console_sessions (digest, created_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO UPDATE SET created_at = excluded.created_at, expires_at = excluded.expires_at', [digest, createdAt, expiresAt]);
      await c.query('DELETE FROM console_sessions WHERE digest IN (SELECT digest FROM console_sessions ORDER BY created_at DESC, seq DESC OFFSET $1)', [max]);
    });
  }

  async get(digest: string, now: number): Promise<number | undefined> {
    const r = (await this.pool.query<{ expires_at: string }>('SELECT expires_at FROM console_sessions WHERE digest = $1', [digest])).rows[0];
    if (!r) return undefined;
    if (Number(r.expires_at) <= now) {
      await this.pool.query('DELETE FROM console_sessions WHERE digest = $1 AND expires_at <= $2', [digest, now]);
      return undefined;
    }
    return Number(r.expires_at);
  }

  async delete(digest: string): Promise<void> {
    await this.pool.query('DELETE FROM console_sessions WHERE digest = $1', [digest]);
  }

  async count(now: number): Promise<number> {
    return Number((await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM console_sessions WHERE expires_at > $1', [now])).rows[0]?.n ?? 0);
  }
}
