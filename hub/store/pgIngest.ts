import type pg from 'pg';
import type { Event } from '../../protocol/event.ts';
import type { DeadLetterDraft } from '../ingest/parse.ts';
import type { IngestStore } from '../cluster/stores.ts';
import type { CommitResult, DeadLetterRow, PendingBatch } from './ingestDb.ts';
import { inTransaction } from './pg-tx.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Dedupe in an open transaction: insert the ids, get back the ones that were new. Callers run it
 * in the same transaction as the state change it guards, so "seen" and "applied" never disagree.
 * Returns the new events in input order (a repeat inside `events` counts as a duplicate).
 */
export async function dedupeInTx(c: Queryable, events: readonly Event[], at: number): Promise<Event[]> {
  if (events.length === 0) return [];
  const r = await c.query<{ id: string }>('INSERT INTO seen (id, at) SELECT DISTINCT unnest($1::text[]), $2::bigint ON CONFLICT (id) DO NOTHING RETURNING id', [events.map((e) => e.id), at]);
  const fresh = new Set(r.rows.map((x) => x.id));
  const out: Event[] = [];
  for (const e of events) if (fresh.delete(e.id)) out.push(e);
  return out;
}

export async function deadLettersInTx(c: Queryable, items: readonly DeadLetterDraft[], at: number): Promise<void> {
  if (items.length === 0) return;
  await c.query('INSERT INTO deadletters (at, edge, reason, detail, raw) SELECT $1::bigint, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])', [
    at,
    items.map((d) => d.edge),
    items.map((d) => d.reason),
    items.map((d) => d.detail),
    items.map((d) => d.raw),
  ]);
}

/** IngestDb's dedupe and dead-letter contract on PostgreSQL. */
export class PgIngestStore implements IngestStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  async commit(batches: readonly PendingBatch[]): Promise<CommitResult[]> {
    const at = this.now();
    return inTransaction(this.pool, async (c) => {
      const results: CommitResult[] = [];
      for (const b of batches) {
        const accepted = await dedupeInTx(c, b.events, at);
        await deadLettersInTx(c, b.deadLetters, at);
        results.push({ accepted, duplicates: b.events.length - accepted.length });
      }
      return results;
    });
  }

  async addDeadLetters(items: readonly DeadLetterDraft[]): Promise<void> {
    await deadLettersInTx(this.pool, items, this.now());
  }

  async deadLetters(limit: number, reason?: string): Promise<DeadLetterRow[]> {
    const lim = Math.max(1, Math.min(1000, Math.floor(limit)));
    const sql = `SELECT id::float8 AS id, at::float8 AS at, edge, reason, detail, raw FROM deadletters ${reason ? 'WHERE reason = $2' : ''} ORDER BY id DESC LIMIT $1`;
    return (await this.pool.query<DeadLetterRow>(sql, reason ? [lim, reason] : [lim])).rows;
  }

  async deadLetterCount(): Promise<number> {
    return (await this.pool.query<{ c: number }>('SELECT count(*)::int AS c FROM deadletters')).rows[0]?.c ?? 0;
  }

  async pruneSeen(olderThanMs: number, maxRows = 200_000): Promise<number> {
    // seen_at is indexed here (PostgreSQL's insert cost is dominated by the WAL, not the index).
    const r = await this.pool.query('DELETE FROM seen WHERE id IN (SELECT id FROM seen WHERE at < $1 LIMIT $2)', [olderThanMs, maxRows]);
    return r.rowCount ?? 0;
  }

  async pruneDeadLetters(keep: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM deadletters WHERE id <= (SELECT max(id) FROM deadletters) - $1', [keep]);
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {}
}
