import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { Event } from '../../protocol/event.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { defaultPolicy } from '../index/policy.ts';
import { isCaseMessage, type CaseMessage } from './case-message.ts';
import { isDecisionMessage, type DecisionMessage } from './decision-message.ts';
import { HubError } from '../errors.ts';
import { CityCalibrator, reportReview } from './city-calibration.ts';
import { PartitionRating, type RateResult } from './partition-rating.ts';
import type { PartitionBatch } from './ingress.ts';
import { PgLeases, type Held } from './lease.ts';
import { DEFAULT_PARTITIONS, EVENTS_STREAM, partitionConsumer } from './partition.ts';
import { pruneCity, pruneReviewReports, REVIEW_RETENTION_MS } from './pruning.ts';
import { PgPartitionState } from './state.ts';
import { withClient } from '../store/pg-tx.ts';
import { publishLive } from './live.ts';
import { ensurePartitionConsumer, waitConsumerLeader } from './stream.ts';

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WorkerOptions {
  id: string;
  nc: NatsConnection;
  /** State writes (one transaction per drained run of a partition). */
  pool: pg.Pool;
  /**
   * Lease renewals, on their own connections: behind 64 partitions' transactions in one pool a
   * renewal can wait longer than the TTL, and the lease lapses under a live, busy worker (seen
   * here). Defaults to `pool` only for tests that do not load it.
   */
  leasePool?: pg.Pool;
  partitions?: number;
  /** A dead worker's partitions are taken over after this (plus one tick). */
  leaseTtlMs?: number;
  /** Renew / rebalance period; well under the TTL so one slow round never loses a lease. */
  tickMs?: number;
  /** JetStream redelivers a message unacked this long (a dead owner's in-flight batches). */
  ackWaitMs?: number;
  /** Pull request lifetime (see consume()). */
  pullExpiresMs?: number;
  /** Server heartbeat on a waiting pull; two missed = pull again (see consume()). */
  pullHeartbeatMs?: number;
  /** Messages applied in one PostgreSQL transaction at most. */
  maxBatchMessages?: number;
  /** Safety-index policy (default: the shipped one). Every worker of a city must run the same. */
  policy?: Policy;
  /** How often each held partition's compounds are re-rated: due reviews, decay, ending effects (ms). Default 60 s. */
  reviewMs?: number;
  /** A review's city calibration leaves out partitions not reported this long after its first report (ms). Default 10 min. */
  calibrationGraceMs?: number;
  /** Pending alarms kept city-wide, the oldest pruned past it (pruning.ts; default the embedded hub's 200,000). */
  keepPendingAlarms?: number;
  /** Review reports and calibrations younger than this are never pruned (pruning.ts; default 400 days). */
  reviewRetentionMs?: number;
  now?: () => number;
  log?: WorkerLog;
}

export interface WorkerStats {
  applied: number;
  duplicates: number;
  messages: number;
  transactions: number;
  fenced: number;
  badMessages: number;
  cases: number;
  /** Alarm decisions and survey results applied. */
  decisions: number;
  ratings: number;
  /** Compound changes announced to the pages' live streams (live.ts), after their commits. */
  live: number;
}

interface Owned {
  h: Held;
  stopping: boolean;
  msgs: ConsumerMessages | undefined;
  loop: Promise<void> | undefined;
  /** The partition's index, loaded when consuming starts; dropped (reloaded) after a failed commit. */
  rating: PartitionRating | undefined;
  /** Serialises this partition's transactions (batches and review ticks write the same rows). */
  chain: Promise<unknown>;
}

const quiet: WorkerLog = { info() {}, warn() {} };

/**
 * A hub worker in cluster mode: holds a fair share of the partitions through fenced leases
 * (PgLeases), consumes each held partition's durable JetStream consumer, and per drained run of
 * messages commits one PostgreSQL transaction (fence → dedupe → state) and only then acks. A crash
 * between commit and ack means a redelivery the dedupe absorbs; a lost lease means the fence
 * refuses the write and the messages go to the new owner.
 */
export class PartitionWorker {
  readonly stats: WorkerStats = { applied: 0, duplicates: 0, messages: 0, transactions: 0, fenced: 0, badMessages: 0, cases: 0, decisions: 0, ratings: 0, live: 0 };
  private readonly policy: Policy;
  private readonly now: () => number;
  private reviewTimer: NodeJS.Timeout | undefined;
  private readonly partitions: number;
  private readonly ttlMs: number;
  private readonly tickMs: number;
  private readonly leases: PgLeases;
  private readonly state: PgPartitionState;
  private readonly calibrator: CityCalibrator;
  private calibrating: Promise<void> | undefined;
  private readonly log: WorkerLog;
  private readonly held = new Map<number, Owned>();
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** performance.now() after which our leases may have lapsed (renewals failed meanwhile). */
  private leaseDeadline = 0;
  private closed = false;

  constructor(private readonly o: WorkerOptions) {
    this.partitions = o.partitions ?? DEFAULT_PARTITIONS;
    this.ttlMs = o.leaseTtlMs ?? 10_000;
    this.tickMs = o.tickMs ?? Math.max(100, Math.floor(this.ttlMs / 4));
    if (this.tickMs * 2 > this.ttlMs) throw new HubError('SS_CLUSTER_CONFIG', `tick (${this.tickMs} ms) must be at most half the lease ttl (${this.ttlMs} ms)`);
    this.leases = new PgLeases(o.leasePool ?? o.pool, { workerId: o.id, partitions: this.partitions, ttlMs: this.ttlMs });
    this.log = o.log ?? quiet;
    this.policy = o.policy ?? defaultPolicy();
    this.now = o.now ?? Date.now;
    this.state = new PgPartitionState(o.pool, o.id, this.now, this.policy);
    this.calibrator = new CityCalibrator(o.pool, { policy: this.policy, partitions: this.partitions, owner: o.id, now: this.now, log: this.log, ...(o.calibrationGraceMs !== undefined ? { graceMs: o.calibrationGraceMs } : {}) });
  }

  /** Partitions held now, with their epochs. */
  owned(): Held[] {
    return [...this.held.values()].map((x) => x.h).sort((a, b) => a.partition - b.partition);
  }

  async start(): Promise<void> {
    this.js = jetstream(this.o.nc);
    this.jsm = await jetstreamManager(this.o.nc);
    await this.leases.ensurePartitions();
    await this.tick();
    this.timer = setInterval(() => this.runTick(), this.tickMs);
    this.reviewTimer = setInterval(() => this.reviewHeld(), this.o.reviewMs ?? 60_000);
  }

  /** Run fn after this partition's previous transaction (never two at once on one partition). */
  private serial<T>(o: Owned, fn: () => Promise<T>): Promise<T> {
    const run = o.chain.then(fn, fn);
    o.chain = run.catch(() => undefined);
    return run;
  }

  private async ratingOf(o: Owned): Promise<PartitionRating> {
    if (!o.rating) {
      o.rating = await withClient(this.o.pool, (c) => PartitionRating.load(c, this.policy, o.h.partition, this.partitions, this.o.id, this.now()));
    }
    return o.rating;
  }

  /** Each held partition re-rates its compounds (reviews are per partition, on its owner). */
  private reviewHeld(): void {
    if (this.closed) return;
    const ticks: Promise<void>[] = [];
    for (const o of this.held.values()) {
      if (o.stopping || !o.rating) continue;
      ticks.push(
        this.serial(o, async () => {
          const r = await this.ratingOf(o);
          const out = await this.state.fenced(o.h, (c) => this.reviewPartition(c, r, o.h, 'tick'));
          this.stats.ratings += out.length;
          this.announce(r);
        }).catch((e: Error) => {
          o.rating = undefined;
          this.log.warn({ worker: this.o.id, partition: o.h.partition, err: e.message }, 'review tick failed; the partition index is reloaded');
        }),
      );
    }
    // After this worker's reports: the city steps (one coordinator at a time each):
    // calibration (city-calibration.ts), then pruning (pruning.ts).
    if (!this.calibrating) {
      this.calibrating = Promise.all(ticks)
        .then(() => this.calibrate())
        .then(() => this.prune())
        .finally(() => (this.calibrating = undefined));
    }
  }

  /** Pending alarms past the cap, review calibrations nothing reads again, old dedupe ids and dead letters (pruning.ts). */
  private async prune(): Promise<void> {
    if (this.closed) return;
    try {
      const r = await pruneCity(this.o.pool, this.o.id, this.now(), {
        ...(this.o.keepPendingAlarms !== undefined ? { keepPendingAlarms: this.o.keepPendingAlarms } : {}),
        ...(this.o.reviewRetentionMs !== undefined ? { reviewRetentionMs: this.o.reviewRetentionMs } : {}),
      });
      if (r && r.alarms + r.calibrations + r.seen + r.deadLetters > 0) this.log.info({ worker: this.o.id, ...r }, 'pruned: pending alarms past the cap, old review calibrations, dedupe ids, dead letters');
    } catch (e) {
      this.log.warn({ worker: this.o.id, err: (e as Error).message }, 'pruning failed; retried at the next review tick');
    }
  }

  /** Compute a review's city calibration when complete; if one was stored, apply it at once (not a reviewMs later). */
  private async calibrate(): Promise<void> {
    if (this.closed) return;
    try {
      if (await this.calibrator.run()) setImmediate(() => this.reviewHeld());
    } catch (e) {
      this.log.warn({ worker: this.o.id, err: (e as Error).message }, 'city calibration failed; retried at the next review tick');
    }
  }

  /** A partition's review tick, in its fenced transaction: its part of the city calibration, then every compound re-rated. */
  private async reviewPartition(c: pg.PoolClient, r: PartitionRating, h: Held, trigger: 'start' | 'tick'): Promise<RateResult[]> {
    const now = this.now();
    await reportReview(c, r, h, this.o.id, now);
    const out = await r.rateAll(c, h, now, trigger);
    // After the reviews ran: the partition's old reports no compound of it reads again.
    await pruneReviewReports(c, h, r.oldestDueReview(now), now, this.o.reviewRetentionMs ?? REVIEW_RETENTION_MS);
    return out;
  }

  /** After a commit (never before: a page must not read what could still roll back), tell every worker's pages. */
  private announce(r: PartitionRating): void {
    this.stats.live += publishLive(this.o.nc, r.takeChanged());
  }

  private runTick(): void {
    if (this.ticking || this.closed) return;
    if (this.held.size > 0 && performance.now() > this.leaseDeadline) {
      // Renewals failed for a whole TTL: others may own these now. Stop before the fence has to.
      this.log.warn({ worker: this.o.id, partitions: this.held.size }, 'SS_CLUSTER_LEASE_LOST: leases not renewed in time; stopping their partitions');
      for (const p of [...this.held.keys()]) void this.stopPartition(p);
    }
    this.ticking = this.tick()
      .catch((e: Error) => this.log.warn({ worker: this.o.id, err: e.message }, 'lease round failed; retrying next tick'))
      .finally(() => (this.ticking = undefined));
  }

  private async tick(): Promise<void> {
    const t0 = performance.now();
    await this.leases.heartbeat();
    const kept = new Set((await this.leases.renew(this.owned())).map((h) => h.partition));
    this.leaseDeadline = t0 + this.ttlMs;
    for (const p of [...this.held.keys()]) {
      if (!kept.has(p)) {
        this.log.warn({ worker: this.o.id, partition: p }, 'SS_CLUSTER_LEASE_LOST: partition taken over; stopping it');
        await this.stopPartition(p);
      }
    }
    if (this.closed) return;
    const target = Math.ceil(this.partitions / (await this.leases.liveWorkers()));
    if (this.held.size < target) {
      for (const h of await this.leases.claim(target - this.held.size)) this.startPartition(h);
    } else if (this.held.size > target) {
      // Hand back the surplus (highest numbers first) so a joining worker gets its share. The
      // release waits until our last pull request on that consumer has expired on the server:
      // released at once, the new owner's messages could still be routed to our dead pull and
      // sit out ack_wait (measured: a 2-worker run at a fifth of the speed). Not awaited: the
      // renewals of the partitions we keep must not wait behind it.
      for (const h of this.owned().slice(target)) {
        await this.stopPartition(h.partition);
        const wait = (this.o.pullExpiresMs ?? 5000) + 500;
        setTimeout(() => void this.leases.release(h).catch(() => false), wait).unref();
      }
    }
  }

  private startPartition(h: Held): void {
    const o: Owned = { h, stopping: false, msgs: undefined, loop: undefined, rating: undefined, chain: Promise.resolve() };
    this.held.set(h.partition, o);
    this.log.info({ worker: this.o.id, partition: h.partition, epoch: h.epoch }, 'partition claimed');
    o.loop = this.consumeWhileHeld(o);
  }

  /**
   * A consumer error (a JetStream API timeout while a leader moves, a dropped connection) must
   * not cost the lease: retry while the partition is still ours; only the lease decides.
   */
  private async consumeWhileHeld(o: Owned): Promise<void> {
    while (!o.stopping && !this.closed) {
      try {
        await this.consume(o);
      } catch (e) {
        this.log.warn({ worker: this.o.id, partition: o.h.partition, err: (e as Error).message }, 'partition consumer failed; retrying in 1 s');
      }
      if (!o.stopping && !this.closed) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /**
   * Stop consuming a partition: the in-flight commit finishes, a drained run not yet committed is
   * nak'ed (redelivered at once), messages still buffered come back after ack_wait.
   */
  private async stopPartition(p: number): Promise<void> {
    const o = this.held.get(p);
    if (!o) return;
    o.stopping = true;
    this.held.delete(p);
    o.msgs?.stop();
    await o.loop;
    await o.chain; // a review tick's transaction in flight finishes too
  }

  private async consume(o: Owned): Promise<void> {
    const p = o.h.partition;
    await ensurePartitionConsumer(this.jsm, p, { ackWaitMs: this.o.ackWaitMs ?? 30_000 });
    // A first pull to a consumer whose group has no leader yet is lost (see waitConsumerLeader).
    if (!(await waitConsumerLeader(this.jsm, partitionConsumer(p)))) this.log.warn({ worker: this.o.id, partition: p }, 'partition consumer has no leader after 10 s; consuming anyway');
    const consumer = await this.js.consumers.get(EVENTS_STREAM, partitionConsumer(p));
    if (o.stopping) return;
    // Rate the partition's compounds once on taking it (the embedded hub rates all at start).
    await this.serial(o, async () => {
      const r = await this.ratingOf(o);
      await this.state.fenced(o.h, (c) => this.reviewPartition(c, r, o.h, 'start'));
      this.announce(r);
    }).catch((e: Error) => {
      o.rating = undefined;
      throw e;
    });
    const max = this.o.maxBatchMessages ?? 200;
    // expires 5 s (not the client's 30 s): a pull request parked on a stream leader that died is
    // noticed after two missed heartbeats, so a leader kill stalls a partition for seconds, not
    // half a minute. 64 partitions → ~13 pull requests/s per worker when idle.
    // idle_heartbeat 1 s (the client's default is expires / 2): the first pull on a consumer
    // created a moment ago can be dropped while its R3 group has no leader yet; the client only
    // pulls again after two missed heartbeats. Measured (bench cluster, 1 worker, 60k events):
    // 10–20 of 64 fresh consumers had no pull on the server for 5–10 s, so a run took 8–11 s
    // instead of ~3. At 1 s that stall is ~2 s; it costs one heartbeat per second per partition.
    const msgs = await consumer.consume({ max_messages: max * 2, expires: this.o.pullExpiresMs ?? 5000, idle_heartbeat: this.o.pullHeartbeatMs ?? 1000 });
    o.msgs = msgs;
    if (o.stopping) {
      msgs.stop();
      return;
    }
    let pending: JsMsg[] = [];
    for await (const m of msgs) {
      pending.push(m);
      // Group commit: keep taking what is already buffered, then one transaction for all of it.
      if (pending.length < max && msgs.getPending() > 0) continue;
      const batch = pending;
      pending = [];
      if (o.stopping) {
        for (const x of batch) x.nak();
        break;
      }
      const events: Event[] = [];
      const cases: CaseMessage['case'][] = [];
      const decisions: DecisionMessage[] = [];
      const good: JsMsg[] = [];
      for (const x of batch) {
        try {
          const b = x.json<PartitionBatch | CaseMessage | DecisionMessage>();
          if (isCaseMessage(b)) cases.push(b.case);
          else if (isDecisionMessage(b)) decisions.push(b);
          else if (!Array.isArray(b.events)) throw new Error('no events array');
          else for (const e of b.events) events.push(e);
          good.push(x);
        } catch (e) {
          // Not ours to fix: leave it in the stream (limits retention keeps it) and move on.
          this.stats.badMessages++;
          this.log.warn({ worker: this.o.id, partition: p, seq: x.seq, err: (e as Error).message }, 'unreadable message in the events stream; terminated');
          x.term();
        }
      }
      try {
        const r = await this.serial(o, async () => {
          const pr = await this.ratingOf(o);
          const applied = await this.state.apply(o.h, events, async (c, fresh) => {
            const now = this.now();
            await pr.takeEvents(c, fresh, now);
            for (const k of cases) this.stats.ratings += (await pr.applyCase(c, o.h, k, now)).length;
            for (const d of decisions) this.stats.ratings += (await (d.kind === 'survey' ? pr.applySurvey(c, o.h, d.survey, now) : pr.applyAlarmDecision(c, o.h, d.alarm, now))).length;
            this.stats.ratings += (await pr.rateDirty(c, o.h, now)).length;
          });
          this.announce(pr);
          return applied;
        }).catch((e: unknown) => {
          o.rating = undefined; // in memory it may be ahead of what was committed
          throw e;
        });
        this.stats.cases += cases.length;
        this.stats.decisions += decisions.length;
        this.stats.applied += r.applied;
        this.stats.duplicates += r.duplicates;
        this.stats.transactions++;
        this.stats.messages += good.length;
      } catch (e) {
        if ((e as HubError).code === 'SS_CLUSTER_FENCED') {
          this.stats.fenced++;
          this.log.warn({ worker: this.o.id, partition: p, epoch: o.h.epoch }, (e as Error).message);
          o.stopping = true;
          if (this.held.get(p) === o) this.held.delete(p);
          msgs.stop();
          break; // unacked: JetStream redelivers them to the new owner
        }
        this.log.warn({ worker: this.o.id, partition: p, err: (e as Error).message }, 'state commit failed; messages will be redelivered');
        for (const x of good) x.nak(1000);
        continue;
      }
      for (const x of good) x.ack();
    }
  }

  /** Graceful stop: finish in-flight commits, release every lease, leave the worker list. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reviewTimer) clearInterval(this.reviewTimer);
    await this.ticking;
    await this.calibrating;
    for (const h of this.owned()) {
      await this.stopPartition(h.partition);
      await this.leases.release(h).catch(() => false);
    }
    await this.leases.leave().catch(() => undefined);
  }
}
