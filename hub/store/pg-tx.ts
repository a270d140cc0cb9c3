import type pg from 'pg';

/** What a transaction body returns to end with ROLLBACK instead of COMMIT (nothing due, lock held elsewhere). */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

export const rollback = <T>(value: T): Rollback<T> => new Rollback(value);

/**
 * A pooled client lent to `body`, the way every PostgreSQL use of the hub that needs one client
 * must borrow it. A connection that dies while lent out (server restart, a terminated backend)
 * is reported as an 'error' event on the client, and pg-pool listens only to idle clients: unheard,
 * that event crashes the process. Here it is heard, and a broken client (an 'error', or `body`
 * saying so through `markBroken`) is destroyed on release, not handed to the next caller.
 */
export async function withClient<T>(pool: pg.Pool, body: (c: pg.PoolClient, markBroken: (e: Error) => void) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  const markBroken = (e: Error) => {
    broken = e;
  };
  c.on('error', markBroken);
  try {
    return await body(c, markBroken);
  } finally {
    c.off('error', markBroken);
    c.release(broken);
  }
}

/**
 * One transaction on a pooled client (see withClient): BEGIN, the body, COMMIT; ROLLBACK when the
 * body throws (the error goes on to the caller) or returns `rollback(value)`. ROLLBACK itself
 * failing means the connection is gone: that client is destroyed.
 */
export function inTransaction<T>(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<T | Rollback<T>>): Promise<T> {
  return withClient(pool, async (c, markBroken) => {
    try {
      await c.query('BEGIN');
      const out = await body(c);
      if (out instanceof Rollback) {
        await c.query('ROLLBACK');
        return out.value;
      }
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch((r: unknown) => markBroken(r instanceof Error ? r : new Error(String(r))));
      throw e;
    }
  });
}
