/**
 * Where console sessions live. The store only ever sees the SHA-256 of a session id (a stolen
 * copy of the table opens no session) and its expiry; the CSRF token is derived from the id
 * (sessions.ts), so nothing secret is stored at all. Every time is the caller's clock (`now`),
 * so expiry follows the hub's injectable clock, not the database server's.
 *
 * Implementations: memory (tests, a hub without a state file), SQLite in the embedded hub's
 * state.db (a hub restart keeps operators logged in), PostgreSQL for cluster workers (a login on
 * one worker is honoured by every other). One contract suite: test/contracts/sessions.contract.test.ts.
 */
export interface SessionStore {
  /** Store a new session; also drops expired rows and, past `max` live rows, the oldest ones. */
  put(digest: string, createdAt: number, expiresAt: number, now: number, max: number): Promise<void>;
  /** The expiry of a live session, or undefined (unknown, or expired at `now`: then deleted). */
  get(digest: string, now: number): Promise<number | undefined>;
  /** End a session (logout); unknown digests are ignored. */
  delete(digest: string): Promise<void>;
  /** Live sessions at `now`. */
  count(now: number): Promise<number>;
}

interface Row {
  createdAt: number;
  expiresAt: number;
}

/** In process memory: lost on restart, not shared between processes. */
export class MemorySessionStore implements SessionStore {
  private readonly rows = new Map<string, Row>();

  async put(digest: string, createdAt: number, expiresAt: number, now: number, max: number): Promise<void> {
    for (const [d, r] of this.rows) if (r.expiresAt <= now) this.rows.delete(d);
    this.rows.set(digest, { createdAt, expiresAt });
    // A Map iterates in insertion order: the first keys are the oldest logins.
    for (const d of this.rows.keys()) {
      if (this.rows.size <= max) break;
      this.rows.delete(d);
    }
  }

  async get(digest: string, now: number): Promise<number | undefined> {
    const r = this.rows.get(digest);
    if (!r) return undefined;
    if (r.expiresAt <= now) {
      this.rows.delete(digest);
      return undefined;
    }
    return r.expiresAt;
  }

  async delete(digest: string): Promise<void> {
    this.rows.delete(digest);
  }

  async count(now: number): Promise<number> {
    let n = 0;
    for (const r of this.rows.values()) if (r.expiresAt > now) n++;
    return n;
  }
}
