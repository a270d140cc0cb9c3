import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/**
 * Open a SQLite file the way every durable store here needs it: WAL so readers never block the
 * writer, synchronous=FULL so a committed transaction survives power loss (kill -9 alone would be
 * safe with NORMAL; an edge box losing power is the case that matters), busy timeout for tools.
 */
export function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

export type Prepare = <P extends unknown[] = unknown[], R = unknown>(sql: string) => Database.Statement<P, R>;

/** Prepare each SQL text once per database: preparing costs more than running small queries. */
export function preparedCache(db: Db): Prepare {
  const stmts = new Map<string, Database.Statement>();
  return <P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> => {
    let s = stmts.get(sql);
    if (!s) stmts.set(sql, (s = db.prepare(sql)));
    return s as unknown as Database.Statement<P, R>;
  };
}
