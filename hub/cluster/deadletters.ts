import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { DeadLetterDraft } from '../ingest/parse.ts';
import { DEAD_LETTER_SUBJECT, EVENTS_STREAM } from './partition.ts';
import { ensureDurableConsumer } from './stream.ts';
import type { WorkerLog } from './worker.ts';

export const DEAD_LETTER_CONSUMER = 'ss-deadletters';

export interface DeadLetterStats {
  stored: number;
  messages: number;
  unreadable: number;
}

const RAW_MAX = 16_384;

/**
 * Dead letters an ingress refused (bad JSON, invalid events, off-scope compounds) ride the events
 * stream on `ss.dl`; one durable consumer shared by every worker stores them in PostgreSQL and
 * acks only after the commit. A redelivery finds its (stream sequence, item) key taken and adds
 * nothing, so a dead letter is stored once and never lost.
 */
export class DeadLetterConsumer {
  readonly stats: DeadLetterStats = { stored: 0, messages: 0, unreadable: 0 };
  private msgs: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
    private readonly log?: WorkerLog,
  ) {}

  async start(): Promise<void> {
    await ensureDurableConsumer(await jetstreamManager(this.nc), {
      durable_name: DEAD_LETTER_CONSUMER,
      filter_subject: DEAD_LETTER_SUBJECT,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
    });
    const c = await jetstream(this.nc).consumers.get(EVENTS_STREAM, DEAD_LETTER_CONSUMER);
    this.msgs = await c.consume({ max_messages: 100, expires: 5000 });
    this.loop = this.run(this.msgs);
  }

  private async run(msgs: ConsumerMessages): Promise<void> {
    for await (const m of msgs) {
      let items: DeadLetterDraft[];
      try {
        const x = m.json<unknown>();
        if (!Array.isArray(x)) throw new Error('not an array');
        items = x as DeadLetterDraft[];
      } catch {
        // Not written by an ingress: stored as one record of its own, so it is not lost either.
        this.stats.unreadable++;
        items = [{ edge: '?', reason: 'SS_DL_JSON', detail: 'unreadable dead-letter message in the stream', raw: m.string().slice(0, RAW_MAX) }];
      }
      try {
        const r = await this.pool.query(
          `INSERT INTO deadletters (at, edge, reason, detail, raw, stream_seq, stream_item)
           SELECT $1::bigint, e, r, d, w, $2::bigint, i FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int[]) AS x(e, r, d, w, i)
           ON CONFLICT (stream_seq, stream_item) WHERE stream_seq IS NOT NULL DO NOTHING`,
          [this.now(), m.seq, items.map((d) => String(d.edge ?? '?')), items.map((d) => String(d.reason ?? 'unknown')), items.map((d) => String(d.detail ?? '')), items.map((d) => String(d.raw ?? '').slice(0, RAW_MAX)), items.map((_, i) => i)],
        );
        this.stats.stored += r.rowCount ?? 0;
        this.stats.messages++;
        m.ack();
      } catch (e) {
        this.log?.warn({ seq: m.seq, err: (e as Error).message }, 'dead letters not stored; redelivered in 5 s');
        m.nak(5000);
      }
    }
  }

  async stop(): Promise<void> {
    this.msgs?.stop();
    await this.loop;
  }
}
