import type pg from 'pg';
import { HubError } from '../errors.ts';
import { PG_MIGRATIONS, type Migration } from './migrations/pg.ts';
import { inTransaction } from './pg-tx.ts';

/** Any constant works; it only has to be the same in every process sharing the database. */
const MIGRATION_LOCK = 0x5afe57a;

/**
 * Bring the schema up to the newest migration this build knows, in ONE transaction under an
 * advisory lock: two workers starting at once apply each migration exactly once, and a failing
 * migration leaves the database as it was (PostgreSQL DDL is transactional).
 * Returns the versions applied now.
 */
export async function migratePg(pool: pg.Pool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number[]> {
  checkOrder(migrations);
  return inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const r = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = r.rows[0]?.v ?? 0;
    const newest = migrations.at(-1)?.version ?? 0;
    if (current > newest) throw new HubError('SS_CLUSTER_SCHEMA_NEWER', `database at version ${current}, this build knows up to ${newest}; upgrade this process before pointing it at the database`);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      try {
        await c.query(m.sql);
      } catch (e) {
        throw new HubError('SS_CLUSTER_MIGRATION', `migration ${m.version} (${m.name}) failed and was rolled back: ${(e as Error).message}; fix the database and restart`);
      }
      await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new HubError('SS_CLUSTER_MIGRATION', `migrations must be numbered 1, 2, 3 … without gaps (found ${m.version} at position ${i + 1})`);
  });
}
