import { runSqliteMigrations } from '../../common/sqlite-migrate.ts';
import type { Db } from '../../common/sqlite.ts';
import { HubError } from '../errors.ts';
import { STATE_MIGRATIONS, type SqliteMigration } from './migrations/sqlite.ts';

/**
 * Bring one of the hub's SQLite files to the newest schema (the runner is common/sqlite-migrate.ts,
 * shared with the edge): a failed step is rolled back and reported as SS_HUB_MIGRATION, a file
 * newer than this build is refused with SS_HUB_SCHEMA_NEWER.
 */
export function migrateSqlite(db: Db, migrations: readonly SqliteMigration[] = STATE_MIGRATIONS, name = 'state.db'): number {
  return runSqliteMigrations(db, migrations, name, {
    failed: (detail) => new HubError('SS_HUB_MIGRATION', detail),
    newer: (detail) => new HubError('SS_HUB_SCHEMA_NEWER', detail),
  });
}
