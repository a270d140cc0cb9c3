import type pg from 'pg';

/** What a transaction body returns to end with ROLLBACK instead of COMMIT (nothing due, lock held elsewhere). */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

export const rollback = <T>(value: T): Rollback<T> => new Rollback(value);

/**
 * One transaction on a pooled client, the way every PostgreSQL write of the hub needs it:
 * BEGIN, the body, COMMIT; ROLLBACK when the body throws (the error goes on to the caller) or
 * returns `rollback(value)`; the client goes back to the pool either way. When the connection
 * broke meanwhile (an 'error' on the client, or ROLLBACK itself failing: the server went away, or
 * the backend was terminated) that client is destroyed, not handed to the next caller.
 */
export async function inTransaction<T>(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<T | Rollback<T>>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  // A connection that dies while this client is lent out (server restart, a terminated backend)
  // is reported as an 'error' event on the client: unheard, it would crash the process.
  const onError = (e: Error) => {
    broken = e;
  };
  c.on('error', onError);
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
    await c.query('ROLLBACK').catch((r: unknown) => {
      broken = r instanceof Error ? r : new Error(String(r));
    });
    throw e;
  } finally {
    c.off('error', onError);
    c.release(broken);
  }
}
