import type { Db } from './sqlite.ts';

/**
 * Numbered SQLite migrations, shared by the hub's files (hub/store/migrations/sqlite.ts) and the
 * edge's (edge/outbox/migrations.ts). Never edit a migration that shipped: add the next number.
 */
export interface SqliteMigration {
  version: number;
  name: string;
  up: string | ((db: Db) => void);
}

/** How a caller turns the runner's failures into its own catalogue's errors (hub: SS_HUB_*, edge: SS_EDGE_*). */
export interface MigrationErrors {
  /** A step failed (and was rolled back), or the list is misnumbered. */
  failed(detail: string): Error;
  /** The file was written by a newer build. */
  newer(detail: string): Error;
}

/**
 * Bring a SQLite file to the newest schema: each pending migration runs in its own transaction
 * and sets PRAGMA user_version with it, so a failure leaves the file at the last good version
 * (the error names the step). A file newer than this build is refused, never opened with a schema
 * we do not know. Cheap when current (one PRAGMA read): every module that may open the file
 * first calls it. Returns the version the file is at.
 */
export function runSqliteMigrations(db: Db, migrations: readonly SqliteMigration[], name: string, errors: MigrationErrors): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw errors.failed(`${name}: migrations must be numbered 1, 2, 3 … (found ${m.version} at position ${i + 1})`);
  });
  const latest = migrations.length;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) throw errors.newer(`${name} is at schema version ${current}; this build knows ${latest}`);
  for (const m of migrations.slice(current)) {
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (e) {
      throw errors.failed(`${name} migration ${m.version} (${m.name}) failed and was rolled back: ${(e as Error).message}`);
    }
  }
  return latest;
}

/** Column names of a table (for steps that adopt files an older build already altered). */
export const sqliteColumns = (db: Db, table: string): string[] => db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((c) => c.name);
