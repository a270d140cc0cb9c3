import type { Db } from '../../common/sqlite.ts';
import { HubError } from '../errors.ts';
import { STATE_MIGRATIONS, type SqliteMigration } from './migrations/sqlite.ts';

/**
 * Bring a SQLite file to the newest schema: each pending migration runs in its own transaction
 * and sets PRAGMA user_version with it, so a failure leaves the file at the last good version
 * (SS_HUB_MIGRATION names the step). A file newer than this build is refused (SS_HUB_SCHEMA_NEWER),
 * never opened with a schema we do not know. Cheap when current (one PRAGMA read): every module
 * that may open the file first calls it.
 */
export function migrateSqlite(db: Db, migrations: readonly SqliteMigration[] = STATE_MIGRATIONS, name = 'state.db'): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new HubError('SS_HUB_MIGRATION', `${name}: migrations must be numbered 1, 2, 3 … (found ${m.version} at position ${i + 1})`);
  });
  const latest = migrations.length;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) throw new HubError('SS_HUB_SCHEMA_NEWER', `${name} is at schema version ${current}; this build knows ${latest}`);
  for (const m of migrations.slice(current)) {
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (e) {
      throw new HubError('SS_HUB_MIGRATION', `${name} migration ${m.version} (${m.name}) failed and was rolled back: ${(e as Error).message}`);
    }
  }
  return latest;
}
