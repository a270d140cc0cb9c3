import type pg from 'pg';
import type { Event } from '../../protocol/event.ts';
import { alarmsOf } from '../index/alarm-rule.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { defaultPolicy } from '../index/policy.ts';
import { dedupeInTx } from '../store/pgIngest.ts';
import { fenceInTx, type Held } from './lease.ts';
import { inTransaction } from '../store/pg-tx.ts';

export interface ApplyResult {
  applied: number;
  duplicates: number;
}

/**
 * A partition owner's state writes, each one transaction: fence (epoch still ours) → dedupe by
 * event id → state changes for the new events only. Redelivered or replayed events find their id
 * in `seen` and change nothing; a stale owner's whole transaction is refused by the fence.
 * Order-insensitive on purpose (JetStream redelivers out of order): last-seen keeps the latest
 * device time, alarms and counters are keyed by event id through the dedupe.
 */
export class PgPartitionState {
  constructor(
    private readonly pool: pg.Pool,
    private readonly owner: string,
    private readonly now: () => number = Date.now,
    /** Decides which events open an alarm (hub/index/alarm-rule.ts, the embedded hub's rule). */
    private readonly policy: Policy = defaultPolicy(),
  ) {}

  /**
   * `more` runs in the same transaction after the state writes, with the new events only (the
   * partition's index: online state, cases): one commit for all, so an ack covers all of it.
   */
  async apply(h: Held, events: readonly Event[], more?: (c: pg.PoolClient, fresh: readonly Event[]) => Promise<void>): Promise<ApplyResult> {
    return inTransaction(this.pool, async (c) => {
      await fenceInTx(c, this.owner, h);
      const now = this.now();
      const fresh = await dedupeInTx(c, events, now);
      if (fresh.length > 0) await this.write(c, h, fresh, now);
      if (more) await more(c, fresh);
      return { applied: fresh.length, duplicates: events.length - fresh.length };
    });
  }

  /** Any other fenced write of the owner (e.g. its review tick), one transaction. */
  async fenced<T>(h: Held, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (c) => {
      await fenceInTx(c, this.owner, h);
      return fn(c);
    });
  }

  private async write(c: pg.PoolClient, h: Held, fresh: readonly Event[], now: number): Promise<void> {
    const latest = new Map<string, Event>();
    const perCompound = new Map<string, number>();
    for (const e of fresh) {
      const prev = latest.get(e.device);
      if (!prev || e.deviceTime >= prev.deviceTime) latest.set(e.device, e);
      perCompound.set(e.compound, (perCompound.get(e.compound) ?? 0) + 1);
    }
    // The embedded hub's rule (alarm-rule.ts): policy-weighed types, not the edge's own records;
    // device_time is the alarm's occurrence, min(device time, now), as index_alarms.occurred_at.
    const alarms = alarmsOf(this.policy, fresh, now);
    const dev = [...latest.values()];
    await c.query(
      `INSERT INTO device_last_seen (device, compound, partition, last_time, last_event, last_type, epoch)
       SELECT d, c, $1, t, id, ty, $2 FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) AS x(d, c, t, id, ty)
       ON CONFLICT (device) DO UPDATE SET compound = excluded.compound, partition = excluded.partition, epoch = excluded.epoch,
         last_time = excluded.last_time, last_event = excluded.last_event, last_type = excluded.last_type
       WHERE excluded.last_time >= device_last_seen.last_time`,
      [h.partition, h.epoch, dev.map((e) => e.device), dev.map((e) => e.compound), dev.map((e) => e.deviceTime), dev.map((e) => e.id), dev.map((e) => e.type)],
    );
    if (alarms.length > 0) {
      const severity = new Map(fresh.map((e) => [e.id, e.severity]));
      await c.query(
        `INSERT INTO alarms (event_id, compound, device, type, severity, device_time, origin, score, partition, owner, epoch)
         SELECT id, c, d, ty, s, t, o, sc, $1, $2, $3 FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[]) AS x(id, c, d, ty, s, t, o, sc)
         ON CONFLICT (event_id) DO NOTHING`,
        [
          h.partition, this.owner, h.epoch,
          alarms.map((a) => a.id), alarms.map((a) => a.compound), alarms.map((a) => a.device), alarms.map((a) => a.type),
          alarms.map((a) => severity.get(a.id) ?? ''), alarms.map((a) => a.occurredAt), alarms.map((a) => a.origin), alarms.map((a) => (a.score ? JSON.stringify(a.score) : null)),
        ],
      );
    }
    const comps = [...perCompound];
    await c.query(
      `INSERT INTO compound_events (compound, partition, events, epoch)
       SELECT c, $1, n, $2 FROM unnest($3::text[], $4::bigint[]) AS x(c, n)
       ON CONFLICT (compound) DO UPDATE SET events = compound_events.events + excluded.events, epoch = excluded.epoch, partition = excluded.partition`,
      [h.partition, h.epoch, comps.map(([k]) => k), comps.map(([, n]) => n)],
    );
  }
}
