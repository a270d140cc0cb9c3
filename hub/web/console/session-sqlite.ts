import { preparedCache, type Db, type Prepare } from '../../../common/sqlite.ts';
import type { SessionStore } from './session-store.ts';

/**
 * Console sessions in the embedded hub's state.db (table console_sessions, SQLite migration 5):
 * an operator stays logged in across a hub restart. better-sqlite3 is synchronous; the async
 * signatures are the interface's (PostgreSQL needs them).
 */
export class SqliteSessionStore implements SessionStore {
  private readonly p: Prepare;

  constructor(private readonly db: Db) {
    this.p = preparedCache(db);
  }

  async put(digest: string, createdAt: number, expiresAt: number, now: number, max: number): Promise<void> {
    this.db.transaction(() => {
      this.p('DELETE FROM console_sessions WHERE expires_at <= ?').run(now);
      this.p('INSERT OR REPLACE INTO console_sessions (digest, created_at, expires_at) VALUES (?, ?, ?)').run(digest, createdAt, expiresAt);
      // Keep the newest `max` (ties by rowid: the later insert is the newer login).
      this.p('DELETE FROM console_sessions WHERE rowid IN (SELECT rowid FROM console_sessions ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)').run(max);
    })();
  }

  async get(digest: string, now: number): Promise<number | undefined> {
    const r = this.p<[string], { expires_at: number }>('SELECT expires_at FROM console_sessions WHERE digest = ?').get(digest);
    if (!r) return undefined;
    if (r.expires_at <= now) {
      this.p('DELETE FROM console_sessions WHERE digest = ?').run(digest);
      return undefined;
    }
    return r.expires_at;
  }

  async delete(digest: string): Promise<void> {
    this.p('DELETE FROM console_sessions WHERE digest = ?').run(digest);
  }

  async count(now: number): Promise<number> {
    return this.p<[number], { n: number }>('SELECT count(*) AS n FROM console_sessions WHERE expires_at > ?').get(now)?.n ?? 0;
  }
}
