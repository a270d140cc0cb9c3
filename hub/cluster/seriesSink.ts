import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { FieldTypes } from '../store/fields.ts';
import { HttpPoster } from '../store/httpPost.ts';
import { eventLine } from '../store/line.ts';
import type { PartitionBatch } from './ingress.ts';
import { EVENTS_STREAM, EVENT_SUBJECT_PREFIX } from './partition.ts';
import { ensureDurableConsumer } from './stream.ts';
import type { WorkerLog } from './worker.ts';

export interface SeriesSinkOptions {
  nc: NatsConnection;
  /** http://host:8086 of the InfluxDB 1.x this sink feeds. */
  influxUrl: string;
  database: string;
  /** One durable consumer per InfluxDB: a second InfluxDB (HA) gets its own name and its own pace. */
  name: string;
  maxLines?: number;
  ackWaitMs?: number;
  log?: WorkerLog;
}

export interface SeriesStats {
  points: number;
  writes: number;
  retries: number;
  rejected: number;
}

/** The events of a stream message; cases ride the same subjects and carry none (acked with the batch). */
function eventsOf(m: JsMsg): PartitionBatch['events'] {
  try {
    const b = m.json<Partial<PartitionBatch>>();
    return Array.isArray(b.events) ? b.events : [];
  } catch {
    return [];
  }
}

/**
 * The series path of cluster mode: a durable JetStream consumer over every partition writes the
 * events to one InfluxDB and acks only on 204. A crash before the ack means a redelivery, and a
 * redelivered event lands on the same series and ns time (line.ts), so it overwrites itself.
 * Field types are learned in memory per sink; a type conflict is found by writing the messages of
 * a refused request one by one, and only a message refused alone is terminated.
 */
export class JetStreamSeriesSink {
  readonly stats: SeriesStats = { points: 0, writes: 0, retries: 0, rejected: 0 };
  private readonly fields = new FieldTypes();
  private readonly http: HttpPoster;
  private msgs: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: SeriesSinkOptions) {
    this.http = new HttpPoster(o.influxUrl.startsWith('https:'), 2);
  }

  async start(): Promise<void> {
    const durable = `ss-influx-${this.o.name}`;
    await ensureDurableConsumer(await jetstreamManager(this.o.nc), {
      durable_name: durable,
      filter_subject: `${EVENT_SUBJECT_PREFIX}.*`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.o.ackWaitMs ?? 30_000),
      max_ack_pending: 20_000,
    });
    const c = await jetstream(this.o.nc).consumers.get(EVENTS_STREAM, durable);
    this.msgs = await c.consume({ max_messages: 1000, expires: 5000 });
    this.loop = this.run(this.msgs);
  }

  private async run(msgs: ConsumerMessages): Promise<void> {
    const maxLines = this.o.maxLines ?? 5000;
    let pending: JsMsg[] = [];
    let lines = 0;
    for await (const m of msgs) {
      pending.push(m);
      lines += eventsOf(m).length;
      if (lines < maxLines && msgs.getPending() > 0) continue;
      const batch = pending;
      pending = [];
      lines = 0;
      await this.write(batch);
      if (this.stopped) break;
    }
  }

  private body(batch: readonly JsMsg[]): { body: string; n: number } {
    const out: string[] = [];
    for (const m of batch) for (const e of eventsOf(m)) out.push(eventLine(e, this.fields));
    return { body: out.join('\n'), n: out.length };
  }

  private async post(body: string): Promise<number> {
    const url = `${this.o.influxUrl}/write?db=${encodeURIComponent(this.o.database)}&precision=ns`;
    try {
      return (await this.http.post(url, body, 10_000)).status;
    } catch {
      return 0;
    }
  }

  private async write(batch: readonly JsMsg[]): Promise<void> {
    const { body, n } = this.body(batch);
    if (n === 0) {
      for (const m of batch) m.ack();
      return;
    }
    let delay = 200;
    for (;;) {
      const status = await this.post(body);
      if (status === 204) {
        this.stats.points += n;
        this.stats.writes++;
        for (const m of batch) m.ack();
        return;
      }
      if (status === 400 && batch.length > 1) {
        // Some point is refused: write message by message so only the culprit is held back.
        for (const m of batch) await this.write([m]);
        return;
      }
      if (status === 400) {
        this.stats.rejected++;
        this.o.log?.warn({ sink: this.o.name, seq: batch[0]!.seq }, 'SS_CLUSTER_SERIES_REJECTED: InfluxDB refused this message alone; terminated (it stays in the stream)');
        batch[0]!.term();
        return;
      }
      this.stats.retries++;
      this.o.log?.warn({ sink: this.o.name, status }, 'SS_CLUSTER_SERIES_DOWN: InfluxDB write failed; retrying');
      if (this.stopped) return; // unacked: redelivered to whoever runs this sink next
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.msgs?.stop();
    await this.loop;
    this.http.close();
  }
}
