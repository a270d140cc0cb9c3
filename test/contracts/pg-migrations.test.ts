import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { PG_MIGRATIONS } from '../../hub/store/migrations/pg.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';

describe('PostgreSQL migrations', () => {
  let db: TempDatabase;
  const pools: pg.Pool[] = [];
  const pool = (): pg.Pool => {
    const p = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(p);
    return p;
  };
  beforeAll(async () => {
    db = await createTempDatabase('ss_migr');
  });
  afterAll(async () => {
    for (const p of pools) await p.end();
    await db?.drop();
  });

  it('two processes migrating at once apply each migration exactly once', async () => {
    const [a, b] = await Promise.all([migratePg(pool()), migratePg(pool())]);
    expect([...a!, ...b!].sort((x, y) => x - y)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    const rows = (await pool().query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows;
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
  });

  it('a failing migration rolls back whole and says which one', async () => {
    const next = PG_MIGRATIONS.length + 1;
    const bad = [...PG_MIGRATIONS, { version: next, name: 'broken', sql: 'CREATE TABLE t3 (x int); SELECT no_such_function();' }];
    await expect(migratePg(pool(), bad)).rejects.toMatchObject({ code: 'SS_CLUSTER_MIGRATION' });
    const t3 = await pool().query("SELECT to_regclass('t3') AS t");
    expect(t3.rows[0].t).toBeNull();
    expect((await pool().query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v).toBe(PG_MIGRATIONS.length);
  });

  it('refuses a database newer than this build, and gaps in the numbering', async () => {
    await pool().query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')");
    await expect(migratePg(pool())).rejects.toMatchObject({ code: 'SS_CLUSTER_SCHEMA_NEWER' });
    await expect(migratePg(pool(), [{ version: 2, name: 'x', sql: '' }])).rejects.toMatchObject({ code: 'SS_CLUSTER_MIGRATION' });
  });
});
