import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * Throwaway PostgreSQL databases for tests and benchmarks: a unique name on the server given by
 * SS_PG_ADMIN_URL (default the local trust-auth server), dropped on close even if connections to
 * it are still open (DROP … WITH (FORCE), PostgreSQL 13+).
 */
export const PG_ADMIN_URL = process.env['SS_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TempDatabase {
  name: string;
  /** Connection string of the new database. */
  url: string;
  drop(): Promise<void>;
}

export async function pgAvailable(adminUrl = PG_ADMIN_URL): Promise<boolean> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createTempDatabase(prefix = 'ss_test', adminUrl = PG_ADMIN_URL): Promise<TempDatabase> {
  // Only [a-z0-9_] reaches the SQL text: identifiers cannot be bound as parameters.
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 30);
  const name = `${safePrefix}_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: u.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(adminUrl, async (c) => {
        // Let closing clients finish first: FORCE terminating a backend whose client is still
        // ending raised 57P01 on that client, an uncaught error in the test that had ended it.
        for (let i = 0; i < 40; i++) {
          const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
          if ((r.rows[0]?.n ?? 0) === 0) break;
          await new Promise((res) => setTimeout(res, 50));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}
