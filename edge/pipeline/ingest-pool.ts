import { Worker } from 'node:worker_threads';
import type { Event } from '../../protocol/event.ts';
import type { DeviceChannel } from '../../protocol/topics.ts';
import type { DeviceEntry } from '../auth/registry.ts';
import { presetBody } from './bodies.ts';
import type { EdgeTimeStandIn } from './edge-time.ts';
import type { IngestResult } from './ingest.ts';
import type { IngestBatch, IngestDone, IngestWorkerData } from './pool-protocol.ts';

const BOOT = new URL('./ingest-worker-boot.mjs', import.meta.url);

/**
 * The per-message work (decode → event → privacy → validate → serialise) on `workers` threads
 * beside the socket thread (issue 14, "use both cores"). A small pool of our own rather than
 * piscina: piscina hands each task to whichever thread is free, and here a device must always
 * go to the same thread (its messages stay in order without any locking), batches are the
 * unit (one postMessage per thread per event-loop turn, payloads in one transferred buffer), and
 * a stopped thread's batch has to be retried, not failed. That is ~150 lines over worker_threads.
 *
 * What stays on the main thread, and why: sockets, aedes and SQLite (they own their handles),
 * and the scorer, whose feature memory has per-kind priors shared by all devices of a kind
 * (models/features.ts), so sharding it would change scores; the committer splices the score into
 * the body the worker serialised (pipeline/bodies.ts).
 *
 * Order: results are handed back in submission order over all threads (a FIFO drained from its
 * head), so the committer sees exactly the sequence the single-threaded edge would: same rows,
 * same scores. Nothing is acknowledged here; the PUBACK still waits for the outbox fsync.
 *
 * A thread that stops (crash, OOM, terminate) is restarted; the batches it had are retried on
 * the main thread by `fallback` (the same pure function, so the same result), counted. If the
 * fallback throws too, the message becomes a dead letter `SS_EDGE_INGEST_WORKER` (raw bytes
 * sealed, PUBACKed once durable: nothing acknowledged is lost, the edge keeps running). A thread
 * that stopped `MAX_RESTARTS` times is not restarted: its devices are ingested on the main thread.
 *
 * Clock-suspect stand-ins (edge-time.ts) are per-device state, so "the same result" needs the
 * main thread to know where each device's thread got to: every stand-in a thread hands back is
 * fed to the main thread's `standIn` before the next message is looked at, and a thread is
 * (re)started with a copy of it. A retry here or a restarted thread then continues after the last
 * stand-in handed back; what a stopped thread gave to messages it never answered is discarded
 * with those answers, so it cannot be repeated by anything committed.
 */
export interface IngestPoolOptions {
  workers: number;
  data: IngestWorkerData;
  /** The single-threaded path, for retries after a thread stopped. */
  fallback: (job: IngestJob) => IngestResult;
  /** The stand-ins `fallback` uses (its IngestContext's): kept up to date with the threads'. */
  standIn: EdgeTimeStandIn;
  /** Messages queued for one thread that make it send at once instead of at the end of the turn. */
  maxBatch?: number;
  /**
   * Stall guard: a thread that has not answered a batch for this long is terminated (and so
   * restarted, its messages ingested here), ms; default 10,000. A batch takes well under 100 ms.
   */
  stallMs?: number;
  /** Worker entry (tests: one that crashes on demand). */
  script?: URL;
  /** A thread stopped: why, how many messages were retried on the main thread, whether it was restarted. */
  onWorkerStopped?: (why: string, retried: number, restarted: boolean) => void;
}

export interface IngestJob {
  entry: DeviceEntry;
  channel: DeviceChannel;
  topic: string;
  payload: Buffer;
  receivedAt: number;
}

interface Pending extends IngestJob {
  done: (r: IngestResult) => void;
  result: IngestResult | undefined;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  queued: Pending[];
  inflight: Map<number, Pending[]>;
  /** When the oldest unanswered batch was sent (monotonic ms), undefined when none. */
  waitingSince: number | undefined;
  /** The thread has loaded its code (a cold start under load takes seconds: not a stall). */
  ready: boolean;
  restarts: number;
}

const DEFAULT_MAX_BATCH = 512;
const MAX_RESTARTS = 5;

export class IngestPool {
  private readonly slots: Slot[];
  private readonly shardOf = new Map<string, Slot>();
  /** Every message not yet handed back, in submission order. */
  private fifo: Pending[] = [];
  private head = 0;
  private nextBatch = 1;
  private scheduled = false;
  private closed = false;
  private readonly maxBatch: number;
  private drainWaiters: Array<() => void> = [];
  private readyWaiters: Array<() => void> = [];
  private readonly guard: NodeJS.Timeout;
  readonly stats = { batches: 0, restarts: 0, retried: 0, deadLettered: 0 };

  constructor(private readonly opts: IngestPoolOptions) {
    if (!(opts.workers >= 1)) throw new RangeError('IngestPool needs at least one worker');
    this.maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
    this.slots = Array.from({ length: opts.workers }, (_, index) => ({ index, worker: undefined, queued: [], inflight: new Map(), waitingSince: undefined, ready: false, restarts: 0 }));
    for (const s of this.slots) this.spawn(s);
    const stallMs = opts.stallMs ?? 10_000;
    this.guard = setInterval(() => {
      const now = performance.now();
      for (const s of this.slots) {
        if (s.waitingSince !== undefined && now - s.waitingSince > stallMs) {
          s.waitingSince = undefined;
          void s.worker?.terminate(); // its 'exit' retries the batches here and restarts it
        }
      }
    }, Math.max(10, Math.min(1000, stallMs / 4)));
    this.guard.unref();
  }

  /** Messages submitted and not yet handed back. */
  pending(): number {
    return this.fifo.length - this.head;
  }

  /** The threads, for tests and diagnostics (one may be undefined while it restarts). */
  threads(): (Worker | undefined)[] {
    return this.slots.map((s) => s.worker);
  }

  /** Ingest one message on its device's thread; `done` runs in submission order. */
  submit(job: IngestJob, done: (r: IngestResult) => void): void {
    const p: Pending = { ...job, done, result: undefined };
    this.fifo.push(p);
    const slot = this.slotOf(job.entry.device.id);
    if (slot.worker === undefined) {
      // Given up on this thread (MAX_RESTARTS): the main thread does its devices' work.
      this.settle(p, this.retry(p, 'ingest worker not running'));
      this.drain();
      return;
    }
    slot.queued.push(p);
    if (slot.queued.length >= this.maxBatch) this.send(slot);
    else if (!this.scheduled) {
      this.scheduled = true;
      // One batch per thread per event-loop turn: everything the sockets delivered this turn.
      setImmediate(() => {
        this.scheduled = false;
        for (const s of this.slots) if (s.queued.length > 0) this.send(s);
      });
    }
  }

  /** A message whose result is already known (e.g. oversized): handed back in its turn. */
  settled(result: IngestResult, done: (r: IngestResult) => void, job: IngestJob): void {
    const p: Pending = { ...job, done, result };
    this.fifo.push(p);
    this.drain();
  }

  /**
   * Resolves when every thread has loaded its code (or was given up): the edge waits for this
   * before it takes devices, so the first messages do not wait seconds for a cold thread.
   */
  ready(): Promise<void> {
    if (this.allReady()) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  private allReady(): boolean {
    return this.slots.every((s) => s.ready || (s.worker === undefined && s.restarts >= MAX_RESTARTS));
  }

  private readyCheck(): void {
    if (this.readyWaiters.length === 0 || !this.allReady()) return;
    const w = this.readyWaiters;
    this.readyWaiters = [];
    for (const r of w) r();
  }

  /** Resolves once every submitted message is handed back. */
  idle(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    clearInterval(this.guard);
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }

  private slotOf(device: string): Slot {
    let s = this.shardOf.get(device);
    if (s === undefined) {
      // FNV-1a of the id: stable, cheap, spreads similar ids.
      let h = 0x811c9dc5;
      for (let i = 0; i < device.length; i++) h = Math.imul(h ^ device.charCodeAt(i), 0x01000193);
      s = this.slots[(h >>> 0) % this.slots.length]!;
      this.shardOf.set(device, s);
    }
    return s;
  }

  private spawn(slot: Slot): void {
    // Seeded with every stand-in handed back so far: a restarted thread must not repeat one.
    const data: IngestWorkerData = { ...this.opts.data, standIns: this.opts.standIn.snapshot() };
    const w = new Worker(this.opts.script ?? BOOT, { workerData: data });
    slot.worker = w;
    slot.ready = false;
    w.on('message', (m: IngestDone | { t: 'ready' }) => {
      if (slot.worker !== w) return; // a late answer from a thread already given up
      if (m.t === 'ready') {
        slot.ready = true;
        if (slot.inflight.size > 0) slot.waitingSince = performance.now();
        this.readyCheck();
        return;
      }
      const batch = slot.inflight.get(m.id);
      if (!batch) return;
      slot.inflight.delete(m.id);
      // Batches are answered in order: the next one waits since now at the latest.
      slot.waitingSince = slot.inflight.size === 0 ? undefined : performance.now();
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i]!;
        const r = m.results[i];
        if (r === undefined) this.settle(p, this.retry(p, 'ingest worker answered short'));
        else if (r.ok) {
          const events = new Array<Event>(r.bodies.length);
          for (let j = 0; j < events.length; j++) {
            const body = r.bodies[j]!;
            // Key order survives JSON.parse, so the body stays exactly JSON.stringify(event).
            const e = JSON.parse(body) as Event;
            presetBody(e, body);
            if (e.clockSuspect === true) this.opts.standIn.observe(e.device, e.deviceTime);
            events[j] = e;
          }
          this.settle(p, { ok: true, events });
        } else this.settle(p, { ok: false, deadLetter: { at: p.receivedAt, device: p.entry.device.id, topic: p.topic, code: r.code, reason: r.reason, payload: p.payload } });
      }
      this.drain();
    });
    let gone = false;
    const stopped = (why: string): void => {
      if (gone) return;
      gone = true;
      if (slot.worker !== w) return;
      slot.worker = undefined;
      if (this.closed) return;
      // Everything this thread held (sent or still queued) is done on the main thread.
      const lost: Pending[] = [];
      for (const b of slot.inflight.values()) lost.push(...b);
      slot.inflight.clear();
      slot.waitingSince = undefined;
      lost.push(...slot.queued);
      slot.queued = [];
      for (const p of lost) this.settle(p, this.retry(p, why));
      this.stats.restarts++;
      const restart = ++slot.restarts < MAX_RESTARTS;
      this.opts.onWorkerStopped?.(why, lost.length, restart);
      if (restart) this.spawn(slot);
      this.readyCheck();
      this.drain();
    };
    w.on('error', (e) => stopped(`ingest worker ${slot.index} failed: ${e.message}`));
    w.on('exit', (code) => stopped(`ingest worker ${slot.index} exited with code ${code}`));
  }

  private send(slot: Slot): void {
    const w = slot.worker;
    const jobs = slot.queued;
    slot.queued = [];
    if (jobs.length === 0 || w === undefined) return;
    let total = 0;
    for (const p of jobs) total += p.payload.length;
    const buf = new ArrayBuffer(total);
    const bytes = new Uint8Array(buf);
    const items: IngestBatch['items'] = new Array(jobs.length);
    let at = 0;
    for (let i = 0; i < jobs.length; i++) {
      const p = jobs[i]!;
      bytes.set(p.payload, at);
      items[i] = [p.entry.device.id, p.channel, at, at + p.payload.length, p.receivedAt];
      at += p.payload.length;
    }
    const id = this.nextBatch++;
    slot.inflight.set(id, jobs);
    if (slot.ready) slot.waitingSince ??= performance.now();
    this.stats.batches++;
    const m: IngestBatch = { t: 'batch', id, buf, items };
    w.postMessage(m, [buf]);
  }

  /** The single-threaded path for one message; a dead letter if even that fails. */
  private retry(p: Pending, why: string): IngestResult {
    this.stats.retried++;
    try {
      return this.opts.fallback(p);
    } catch (e) {
      this.stats.deadLettered++;
      return {
        ok: false,
        deadLetter: {
          at: p.receivedAt, device: p.entry.device.id, topic: p.topic, code: 'SS_EDGE_INGEST_WORKER',
          reason: `${why}; main-thread retry failed: ${(e as Error).message}`.slice(0, 500), payload: p.payload,
        },
      };
    }
  }

  private settle(p: Pending, r: IngestResult): void {
    p.result = r;
  }

  private drain(): void {
    const f = this.fifo;
    let h = this.head;
    while (h < f.length) {
      const p = f[h]!;
      const r = p.result;
      if (r === undefined) break;
      h++;
      p.done(r);
    }
    if (h === f.length) {
      this.fifo = [];
      this.head = 0;
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const r of w) r();
    } else if (h > 4096) {
      this.fifo = f.slice(h);
      this.head = 0;
    } else this.head = h;
  }
}
