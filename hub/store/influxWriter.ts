import type { DeadLetterDraft } from '../ingest/parse.ts';
import type { FieldType } from './fields.ts';
import { HttpPoster } from './httpPost.ts';
import { MEASUREMENT_EVENTS, MEASUREMENT_HEALTH } from './line.ts';
import type { QueueSlice } from './ingestDb.ts';

/**
 * A durable queue of line-protocol slices the writer drains: the ingest queue (`events`,
 * `device_health`) and the index history queue (`safety_index`) both are one, so both get the same
 * retry, split and dead-letter behaviour.
 */
export interface LineQueue {
  peek(afterId: number, maxLines: number): QueueSlice | undefined;
  /** The slice is in InfluxDB (or its bad lines dead-lettered): free it. */
  ack(slice: QueueSlice): void;
  isOpen(): boolean;
}

export interface InfluxTarget {
  /** http://host:port */
  url: string;
  database: string;
}

export interface WriterOptions {
  /** Points per write request (InfluxDB's sweet spot is 5,000–10,000). */
  batchSize: number;
  /** Concurrent write requests: InfluxDB parses and indexes them on several cores. */
  concurrency: number;
  /** Per request (ms). */
  timeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const WRITER_DEFAULTS: WriterOptions = { batchSize: 5000, concurrency: 2, timeoutMs: 15_000, backoffMinMs: 100, backoffMaxMs: 5000 };

export interface WriterEvents {
  written(points: number, ms: number): void;
  deadLetters(items: DeadLetterDraft[]): void;
  /** Reachability changed (first call tells the initial state). */
  state(up: boolean, reason: string): void;
}

type PostResult = { kind: 'ok' } | { kind: 'rejected'; status: number; error: string } | { kind: 'missing-db' } | { kind: 'down'; error: string };

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    t.unref();
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Drains the durable queue into InfluxDB: up to `concurrency` requests in flight, each a contiguous
 * slice of the queue; a slice leaves the queue only after InfluxDB answered 204. While InfluxDB is
 * down each worker retries its slice with capped exponential backoff (the queue grows on disk).
 * A 400 means some lines were bad: InfluxDB stored the good ones, so the slice is split in halves
 * and rewritten until each bad line stands alone (rewrites are idempotent: same series, same time,
 * same values) and goes to the dead letters.
 */
export class InfluxWriter {
  private cursor = 0;
  private stopped = false;
  /** Wakes workers sleeping in a retry backoff when the hub shuts down. */
  private readonly halt = new AbortController();
  private readonly waiters = new Set<() => void>();
  private workers: Promise<void>[] = [];
  private up: boolean | undefined;
  private dbReady = false;
  private readonly writeUrl: string;
  private inFlight = 0;
  private readonly http: HttpPoster;

  constructor(
    private readonly store: LineQueue,
    private readonly target: InfluxTarget,
    private readonly opts: WriterOptions,
    private readonly on: WriterEvents,
    /** Timestamp precision of the queued lines: ns for events (hub/store/line.ts), ms for the index history. */
    precision: 'n' | 'ms' = 'n',
  ) {
    this.writeUrl = `${target.url}/write?db=${encodeURIComponent(target.database)}&precision=${precision}`;
    this.http = new HttpPoster(target.url.startsWith('https:'), opts.concurrency + 1);
  }

  start(): void {
    for (let i = 0; i < this.opts.concurrency; i++) this.workers.push(this.work());
  }

  /** New rows were queued: wake idle workers. */
  kick(): void {
    for (const w of [...this.waiters]) w();
  }

  isUp(): boolean | undefined {
    return this.up;
  }

  /** Slices being written right now. */
  busy(): number {
    return this.inFlight;
  }

  /** Stop taking slices; wait for in-flight requests (bounded). Unwritten slices stay queued. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    this.kick();
    await Promise.race([Promise.all(this.workers), sleep(timeoutMs)]);
    this.http.close();
  }

  private setUp(up: boolean, reason: string): void {
    if (this.up === up) return;
    this.up = up;
    this.on.state(up, reason);
  }

  /**
   * Wait for a kick (new rows queued) or 1 s (cheap insurance against a missed kick). Each wait owns
   * one timer and clears it: a timer that kicked everyone would make every worker start a new timer,
   * doubling them each second.
   */
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, 1000);
      t.unref();
      this.waiters.add(done);
    });
  }

  private async work(): Promise<void> {
    try {
      await this.workLoop();
    } catch (e) {
      // Only reachable when the store closed under a worker (shutdown timeout): the slice stays queued.
      if (!this.stopped) this.on.state(false, `writer stopped: ${(e as Error).message}`);
    }
  }

  private async workLoop(): Promise<void> {
    while (!this.stopped) {
      const slice = this.store.peek(this.cursor, this.opts.batchSize);
      if (!slice) {
        await this.idle();
        continue;
      }
      this.cursor = slice.toId;
      this.inFlight++;
      try {
        const t0 = performance.now();
        const ok = await this.writeSlice(slice.body);
        // Stopped mid-retry: the slice stays queued for the next start. After stop, the store may be
        // closed: touch it no more (an unacked written slice is rewritten later, idempotently).
        if (!ok) break;
        if (!this.store.isOpen()) break;
        this.store.ack(slice);
        this.on.written(slice.n - ok.rejected, performance.now() - t0);
      } finally {
        this.inFlight--;
      }
    }
  }

  /** Write lines until InfluxDB has taken them all (good ones stored, bad ones dead-lettered). */
  private async writeSlice(body: string, lines?: string[]): Promise<{ rejected: number } | undefined> {
    const r = await this.postUntilAnswered(body);
    if (!r) return undefined;
    if (r.kind === 'ok') return { rejected: 0 };
    if (r.kind !== 'rejected') return undefined;
    // Split only when InfluxDB refused something: the happy path never splits the body into lines.
    lines ??= body.split('\n');
    if (!this.store.isOpen()) return undefined;
    if (lines.length === 1) {
      const line = lines[0]!;
      this.on.deadLetters([{ edge: /,edge=([^, ]+)/.exec(line)?.[1] ?? '?', reason: 'SS_DL_INFLUX_REJECTED', detail: `HTTP ${r.status}: ${r.error}`.slice(0, 2000), raw: line }]);
      return { rejected: 1 };
    }
    const mid = lines.length >> 1;
    const left = lines.slice(0, mid);
    const right = lines.slice(mid);
    const a = await this.writeSlice(left.join('\n'), left);
    if (!a) return undefined;
    const b = await this.writeSlice(right.join('\n'), right);
    if (!b) return undefined;
    return { rejected: a.rejected + b.rejected };
  }

  /** Retry through outages until InfluxDB gives a definite answer (undefined: stopped). */
  private async postUntilAnswered(body: string): Promise<PostResult | undefined> {
    let backoff = this.opts.backoffMinMs;
    while (!this.stopped) {
      if (!this.dbReady) {
        const c = await this.createDatabase();
        if (c.kind === 'ok') this.dbReady = true;
      }
      const r = this.dbReady ? await this.post(body) : ({ kind: 'down', error: 'database not created yet' } as const);
      if (r.kind === 'ok' || r.kind === 'rejected') {
        this.setUp(true, 'write answered');
        return r;
      }
      if (r.kind === 'missing-db') {
        this.dbReady = false;
        continue;
      }
      this.setUp(false, r.error);
      await sleep(backoff, this.halt.signal);
      backoff = Math.min(this.opts.backoffMaxMs, backoff * 2);
    }
    return undefined;
  }

  private async post(body: string): Promise<PostResult> {
    try {
      const res = await this.http.post(this.writeUrl, body, this.opts.timeoutMs);
      if (res.status === 204) return { kind: 'ok' };
      const text = res.body;
      if (res.status === 404 && text.includes('database not found')) return { kind: 'missing-db' };
      // 400: bad line(s) (parse error, field type conflict); 413: body too big → split.
      if (res.status === 400 || res.status === 413) return { kind: 'rejected', status: res.status, error: text.trim() };
      return { kind: 'down', error: `HTTP ${res.status}: ${text.trim().slice(0, 500)}` };
    } catch (e) {
      return { kind: 'down', error: (e as Error).message };
    }
  }

  async createDatabase(): Promise<PostResult> {
    try {
      const q = `CREATE DATABASE "${this.target.database.replace(/["\\]/g, '\\$&')}"`;
      const res = await fetch(`${this.target.url}/query?q=${encodeURIComponent(q)}`, { method: 'POST', signal: AbortSignal.timeout(this.opts.timeoutMs) });
      const text = await res.text();
      if (res.ok && !text.includes('"error"')) return { kind: 'ok' };
      return { kind: 'down', error: `HTTP ${res.status}: ${text.slice(0, 500)}` };
    } catch (e) {
      return { kind: 'down', error: (e as Error).message };
    }
  }

  /**
   * Field types the database already holds, `events` first then `device_health` (our measurements).
   * Empty when InfluxDB or the database isn't there yet.
   */
  async fieldTypes(timeoutMs = 2000): Promise<Array<[string, FieldType]>> {
    const out: Array<[string, FieldType]> = [];
    for (const m of [MEASUREMENT_EVENTS, MEASUREMENT_HEALTH]) {
      try {
        const q = encodeURIComponent(`SHOW FIELD KEYS FROM "${m}"`);
        const res = await fetch(`${this.target.url}/query?db=${encodeURIComponent(this.target.database)}&q=${q}`, { signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.json()) as { results?: Array<{ series?: Array<{ values?: Array<[string, string]> }> }> };
        for (const [name, type] of body.results?.[0]?.series?.[0]?.values ?? []) {
          if (type === 'string' || type === 'integer' || type === 'float' || type === 'boolean') out.push([name, type]);
        }
      } catch {
        return out;
      }
    }
    return out;
  }

  /** Cheap reachability probe for /health when the writer is idle. */
  async ping(timeoutMs = 1000): Promise<boolean> {
    try {
      const res = await fetch(`${this.target.url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      const ok = res.status === 204;
      this.setUp(ok, ok ? 'ping' : `ping HTTP ${res.status}`);
      return ok;
    } catch (e) {
      this.setUp(false, (e as Error).message);
      return false;
    }
  }
}
