/**
 * Micro-batching in front of a batch function (onnxruntime's per-call overhead is ~20 µs, the
 * per-row cost < 1 µs: batching is where the speed is). Rows wait at most `maxWaitMs` for company,
 * a batch holds at most `maxBatch` rows, at most `maxInflight` batches run at once and every run
 * has a `timeoutMs` budget. Whatever does not fit — queue full, too many runs in flight, a slow or
 * failing run — resolves to `null` ("unscored") instead of waiting: scoring never stalls the edge.
 */
export interface MicroBatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
  maxQueueRows: number;
  maxInflight: number;
  timeoutMs: number;
}

export const DEFAULT_MICRO_BATCHER: Readonly<MicroBatcherOptions> = Object.freeze({
  // ≥ the group committer's largest batch (2,000): one commit = one run. With 512, a big commit
  // needed 4 runs but only 2 may be in flight, so the rest went unscored as 'overload' (issue 7).
  maxBatch: 2_048,
  maxWaitMs: 2,
  maxQueueRows: 8_192,
  maxInflight: 2,
  // A stall guard for a hung runtime, not a load rule (issue 14: on a loaded 2-core box a
  // 250 ms budget, and the committer's 50 ms, left thousands of events unscored by timeout).
  // Load is shed by the committer's stated policy instead; this stays below its 1 s guard so
  // the per-event reason is the batcher's.
  timeoutMs: 750,
});

/** Runs one batch: `rows` is [n × dim] row-major; returns n values. */
export type BatchFn = (rows: Float32Array, n: number) => Promise<Float32Array>;

export type Unscored = 'overload' | 'timeout' | 'error';

export interface BatcherCounters {
  batches: number;
  rows: number;
  overload: number;
  timeout: number;
  error: number;
  lastError?: string;
}

/** Rows submitted together share one promise (one per group commit, not one per row). */
interface Group {
  out: (number | Unscored)[];
  left: number;
  resolve: (out: (number | Unscored)[]) => void;
}

interface Pending {
  row: Float32Array;
  group: Group;
  i: number;
}

function settle(p: Pending, v: number | Unscored): void {
  const g = p.group;
  g.out[p.i] = v;
  if (--g.left === 0) g.resolve(g.out);
}

export class MicroBatcher {
  readonly options: MicroBatcherOptions;
  readonly counters: BatcherCounters = { batches: 0, rows: 0, overload: 0, timeout: 0, error: 0 };
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight = 0;
  private closed = false;

  constructor(
    private readonly run: () => BatchFn | undefined,
    readonly dim: number,
    options: Partial<MicroBatcherOptions> = {},
  ) {
    this.options = { ...DEFAULT_MICRO_BATCHER, ...options };
  }

  /** Score one feature row; resolves to the value or the reason it stayed unscored. */
  submit(row: Float32Array): Promise<number | Unscored> {
    if (this.closed || this.queue.length >= this.options.maxQueueRows) {
      this.counters.overload++;
      return Promise.resolve('overload');
    }
    return new Promise<(number | Unscored)[]>((resolve) => {
      this.queue.push({ row, group: { out: [0], left: 1, resolve }, i: 0 });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
    }).then((out) => out[0]!);
  }

  /**
   * Score rows that came together (a group commit) and send them now: one promise for all,
   * values in row order. Rows past the queue bound resolve to 'overload', as in `submit`.
   */
  submitMany(rows: readonly Float32Array[]): Promise<(number | Unscored)[]> {
    const out: (number | Unscored)[] = new Array<number | Unscored>(rows.length);
    if (rows.length === 0) return Promise.resolve(out);
    return new Promise((resolve) => {
      const group: Group = { out, left: rows.length, resolve };
      for (let i = 0; i < rows.length; i++) {
        const p: Pending = { row: rows[i]!, group, i };
        if (this.closed || this.queue.length >= this.options.maxQueueRows) {
          this.counters.overload++;
          settle(p, 'overload');
        } else this.queue.push(p);
      }
      this.flush();
    });
  }

  /** Send what is queued now (called by the timer, a full batch, or the caller at a batch end). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      const fn = this.run();
      if (fn === undefined || this.inflight >= this.options.maxInflight) {
        // No model, or earlier runs are still busy: don't pile up behind them.
        this.counters.overload += batch.length;
        for (const p of batch) settle(p, 'overload');
        continue;
      }
      void this.runBatch(fn, batch);
    }
  }

  private async runBatch(fn: BatchFn, batch: Pending[]): Promise<void> {
    const n = batch.length;
    const rows = new Float32Array(n * this.dim);
    batch.forEach((p, i) => rows.set(p.row.length === this.dim ? p.row : p.row.subarray(0, this.dim), i * this.dim));
    // The slot frees when the run really ends, not when we stop waiting for it: a hung run
    // keeps its slot, so later batches go unscored rather than piling onto a stuck runtime.
    this.inflight++;
    const running = fn(rows, n).finally(() => {
      this.inflight--;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs);
    });
    try {
      const out = await Promise.race([running, timeout]);
      if (out === 'timeout') {
        this.counters.timeout += n;
        for (const p of batch) settle(p, 'timeout');
        running.catch(() => undefined); // settled later; nobody is waiting
        return;
      }
      this.counters.batches++;
      this.counters.rows += n;
      batch.forEach((p, i) => settle(p, out[i] ?? 'error'));
    } catch (e) {
      this.counters.error += n;
      this.counters.lastError = (e as Error).message;
      for (const p of batch) settle(p, 'error');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolve everything still queued as unscored and refuse new rows. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const q = this.queue;
    this.queue = [];
    this.counters.overload += q.length;
    for (const p of q) settle(p, 'overload');
  }
}
