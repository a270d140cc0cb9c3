import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Event } from '../../protocol/event.ts';
import { FEATURE_COUNT, FeatureExtractor, FeatureStateError, type FeatureOptions } from '../../models/features.ts';
import type { FeatureStatePort } from './feature-state-store.ts';
import { INPUT_NAME, OUTPUT_NAME } from '../../models/onnx-export.ts';
import { MicroBatcher, type BatchFn, type MicroBatcherOptions, type BatcherCounters } from './micro-batcher.ts';
import { loadModel, type LoadedModel } from './model-loader.ts';
import { onnxruntime } from './lazy-session.ts';
import { scoreTail } from '../../models/tail-model.ts';
import { scorerMessage, type ScorerErrorCode } from './errors.ts';
import type { ScoreOutcome, Scorer, UnscoredCode } from '../pipeline/scorer-port.ts';

export interface OnnxScorerOptions {
  /** Path of the `.onnx` file (models/<name>-<version>.onnx). */
  modelPath: string;
  /** Poll the file for changes and hot-swap (ms between polls; false or 0 = explicit reload() only). */
  watchIntervalMs?: number | false;
  batcher?: Partial<MicroBatcherOptions>;
  features?: Partial<FeatureOptions>;
  /** Called once per state change / reload outcome (wire the edge's pino logger here). */
  onLog?: (level: 'info' | 'warn', msg: string) => void;
  /**
   * Learning period per device (device-time ms from the first event this scorer saw of it):
   * scores are computed but never flagged. A device the scorer has never seen has empty windows,
   * so its first events (the `online` burst of every device after an edge restart) all look
   * surprising: without this, one restart would be one alarm per device. Default 0 (off);
   * `safestar edge` uses 10 minutes.
   */
  warmupMs?: number;
  /**
   * Where the feature memory survives restarts (edge: a table in the outbox database). Restored
   * on start; saved every `snapshotEveryMs` of the clock (checked after each batch) and on close.
   * Devices known from the snapshot skip the learning period, and so does a new device once its
   * kind's prior is warm (models/features.ts: a new device borrows its kind's habits and rate).
   */
  state?: FeatureStatePort;
  /** Default 30 s: a crash loses at most this much memory, never events (those are in the outbox). */
  snapshotEveryMs?: number;
  /**
   * Batches smaller than this are scored by the TypeScript reference of the tail graph (same
   * tables, same float32 steps; test/models/tail-parity.test.ts checks bit equality) instead of
   * an onnxruntime call: a live edge's group commits hold ~1 event, and one session.run costs
   * ~100 µs whatever its size. Default REFERENCE_BELOW_ROWS; 0 = always onnxruntime.
   */
  referenceBelowRows?: number;
  /** The one clock (wall time, for snapshot pacing and `savedAt`); default Date.now. */
  clock?: () => number;
}

/**
 * Default of `referenceBelowRows`: every batch the edge forms (the group commit's largest is
 * 2,000, the batcher's 2,048). Measured (issue 14, CPU time per row on this 2-core box):
 * TypeScript reference 0.4-0.7 µs at 32-2,000 rows, onnxruntime 2.3 / 1.8 / 0.8 / 1.6 µs at
 * 32 / 100 / 500 / 2,000 rows, and onnxruntime-node runs the graph synchronously on the event
 * loop (its `run` is a setImmediate), so it is not even off the socket thread. It was 32.
 * Models without a tail (the autoencoder family) always use onnxruntime.
 */
export const REFERENCE_BELOW_ROWS = 4_096;

/** Devices remembered for the learning period (an edge serves a few thousand). */
const FIRST_SEEN_MAX = 100_000;

export interface ScorerStatus {
  state: 'ok' | 'degraded' | 'off';
  /** Model id in use, e.g. "kt-2.7.0". */
  model?: string;
  reason?: string;
  code?: ScorerErrorCode;
  sha256?: string;
  threshold?: number;
  path: string;
  reloads: number;
  scored: number;
  anomalous: number;
  /** Over the threshold but not flagged: the device was in its learning period. */
  warmingUp: number;
  unscored: number;
  batcher: BatcherCounters;
  /** Feature memory: restored from a snapshot at start (devices), last save (clock ms). */
  featureState: { restoredDevices: number; savedAt?: number; saves: number; problem?: string };
  /** Rows scored by the TypeScript reference (small batches) and onnxruntime calls made. */
  engine: { referenceRows: number; onnxRuns: number };
}

/**
 * The edge's ONNX anomaly scorer (implements the edge's scorer port): features from
 * models/features.ts, onnxruntime behind a micro-batcher, score/threshold/model id written to
 * `event.score`. Without a usable model it reports `degraded` and leaves events unscored, so the
 * edge runs on with rules.
 */
export class OnnxScorer implements Scorer {
  private current: LoadedModel | undefined;
  private problem: { code: ScorerErrorCode; reason: string } | undefined;
  private readonly extractor: FeatureExtractor;
  private readonly batcher: MicroBatcher;
  private reloading: Promise<void> = Promise.resolve();
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  /** Identity of the file version last tried (ino:size:mtime; zeros when missing). */
  private seen = '';
  private closed = false;
  private reloads = 0;
  private scored = 0;
  private anomalous = 0;
  private warmingUp = 0;
  private readonly firstSeen = new Map<string, number>();
  private unscored = 0;
  private restoredDevices = 0;
  /** Device time of the first event this scorer saw (its learning clock). */
  private firstEventT = Number.NaN;
  private referenceRows = 0;
  private onnxRuns = 0;
  private savedAt: number | undefined;
  private saves = 0;
  private stateProblem: string | undefined;
  private lastSnapshot = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: OnnxScorerOptions) {
    this.extractor = new FeatureExtractor(opts.features);
    this.batcher = new MicroBatcher(() => this.batchFn(), FEATURE_COUNT, opts.batcher);
  }

  /** Load the model (never throws) and start watching the file if asked. */
  async start(): Promise<ScorerStatus> {
    this.restoreState();
    await this.reload();
    const interval = this.opts.watchIntervalMs ?? 1_000;
    if (interval !== false && interval > 0 && !this.closed) {
      // Polling (not fs.watch): deployments replace the file by rename, which fs.watch loses.
      // Each poll compares the file with the version we last loaded, not with the previous poll
      // (fs.watchFile's way): a file replaced between our load and a watcher's first look would
      // otherwise never be noticed.
      this.poller = setInterval(() => void this.poll(), interval);
      this.poller.unref();
    }
    return this.status();
  }

  private clock(): number {
    return (this.opts.clock ?? Date.now)();
  }

  private restoreState(): void {
    const port = this.opts.state;
    if (!port) return;
    try {
      const saved = port.load();
      if (!saved) return;
      this.extractor.restore(saved.snapshot);
      this.restoredDevices = this.extractor.sizes().devices;
      this.savedAt = saved.savedAt;
      this.opts.onLog?.('info', `feature memory restored: ${this.restoredDevices} devices (saved at ${new Date(saved.savedAt).toISOString()})`);
    } catch (e) {
      const detail = e instanceof FeatureStateError ? e.message : `SS_FEATURE_STATE_CORRUPT: ${(e as Error).message}`;
      this.stateProblem = scorerMessage('SS_SCORER_STATE_RESTORE', detail);
      this.opts.onLog?.('warn', this.stateProblem);
    }
  }

  /** Save the feature memory now (also called on close). Never throws: a failed save is reported. */
  saveState(): void {
    const port = this.opts.state;
    if (!port) return;
    const now = this.clock();
    this.lastSnapshot = now;
    try {
      port.save(this.extractor.snapshotChunks(), now);
      this.savedAt = now;
      this.saves++;
      if (this.stateProblem?.startsWith('SS_SCORER_STATE_SAVE')) this.stateProblem = undefined;
    } catch (e) {
      this.stateProblem = scorerMessage('SS_SCORER_STATE_SAVE', (e as Error).message);
      this.opts.onLog?.('warn', this.stateProblem);
    }
  }

  /**
   * True while `ev`'s device is inside its learning period (see OnnxScorerOptions.warmupMs).
   * `known`: the extractor had memory of the device before this event (restored or seen).
   */
  private learning(ev: Event, known: boolean): boolean {
    const warmup = this.opts.warmupMs ?? 0;
    if (warmup <= 0) return false;
    let first = this.firstSeen.get(ev.device);
    if (first === undefined) {
      if (this.firstSeen.size >= FIRST_SEEN_MAX) this.firstSeen.delete(this.firstSeen.keys().next().value!);
      if (Number.isNaN(this.firstEventT)) this.firstEventT = ev.deviceTime;
      // A new device borrows its kind's prior once that prior is real: restored from a snapshot,
      // or learnt for a whole learning period by this scorer. On a cold start every device still
      // learns (the first devices would otherwise set the prior for the rest of the burst).
      const warmKind = this.extractor.kindWarm(ev.kind) && (this.restoredDevices > 0 || ev.deviceTime - this.firstEventT >= warmup);
      const scoredNow = known || warmKind;
      first = scoredNow ? Number.NEGATIVE_INFINITY : ev.deviceTime;
      this.firstSeen.set(ev.device, first);
      // ... except the device's `online` when it (re)connects: after an edge start every device
      // says it at once, a storm to the features but not an incident (issue 4: no alarm per device).
      if (scoredNow && ev.type === 'online') return true;
    }
    return ev.deviceTime - first < warmup;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const key = fileKey(await stat(this.opts.modelPath).catch(() => undefined));
      if (key !== this.seen) await this.reload();
    } finally {
      this.polling = false;
    }
  }

  /**
   * Load the file again and swap atomically. A failed reload keeps the model already in use (if
   * any) and says so in `status().reason`; rows already queued finish on the session they met.
   */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.closed) return;
      this.seen = fileKey(await stat(this.opts.modelPath).catch(() => undefined));
      const r = await loadModel(this.opts.modelPath);
      if (this.closed) {
        if (r.ok) await r.model.session.release().catch(() => undefined);
        return;
      }
      if (!r.ok) {
        this.problem = { code: r.code, reason: this.current ? `${r.reason} (still scoring with ${this.current.meta.id})` : r.reason };
        this.opts.onLog?.('warn', this.problem.reason);
        return;
      }
      const old = this.current;
      this.current = r.model;
      this.problem = undefined;
      this.reloads++;
      this.opts.onLog?.('info', `anomaly model ${r.model.meta.id} loaded (sha256 ${r.model.sha256.slice(0, 12)}, threshold ${r.model.meta.threshold})`);
      if (old) {
        // Let runs that picked the old session finish before releasing it.
        const t = setTimeout(() => void old.session.release().catch(() => undefined), this.batcher.options.timeoutMs * 2);
        t.unref();
      }
    });
    return this.reloading;
  }

  private batchFn(): BatchFn | undefined {
    const m = this.current;
    if (!m) return undefined;
    const tail = m.tail;
    const below = this.opts.referenceBelowRows ?? REFERENCE_BELOW_ROWS;
    return async (rows, n) => {
      if (tail && n < below) {
        this.referenceRows += n;
        return scoreTail(tail, rows, n);
      }
      this.onnxRuns++;
      const [ort, session] = await Promise.all([onnxruntime(), m.session.get()]);
      const out = await session.run({ [INPUT_NAME]: new ort.Tensor('float32', rows, [n, FEATURE_COUNT]) });
      const t = out[OUTPUT_NAME];
      if (!t) throw new Error(`model output '${OUTPUT_NAME}' missing`);
      return t.data as Float32Array;
    };
  }

  /**
   * Score events in place (sets `event.score`). Features are taken in the given order (the
   * extractor's windows need time order per device); heartbeats and edge-made events stay
   * unscored. Resolves when every event is scored or known to stay unscored — bounded by the
   * batcher's wait + timeout, never by a stuck runtime.
   */
  async scoreBatch(events: Event[], shed?: (e: Event) => boolean): Promise<ScoreOutcome> {
    const model = this.current;
    const outcome: ScoreOutcome = {};
    const miss = (code: UnscoredCode): void => {
      this.unscored++;
      outcome[code] = (outcome[code] ?? 0) + 1;
    };
    const rows: Float32Array[] = [];
    const scoredEvents: Event[] = [];
    const learningOf: boolean[] = [];
    // One feature matrix per batch, rows as views into it: a Float32Array of its own per event
    // (156 bytes, too big for V8's on-heap typed arrays) was an off-heap allocation per event.
    const matrix = new Float32Array(events.length * FEATURE_COUNT);
    let slot = 0;
    for (const ev of events) {
      if (ev.attributes['origin'] === 'edge') continue;
      const known = this.extractor.knows(ev.device);
      const row = this.extractor.push(ev, matrix.subarray(slot * FEATURE_COUNT, (slot + 1) * FEATURE_COUNT));
      const learning = this.learning(ev, known);
      // Features are computed even without a model so a model swapped in later has warm windows.
      if (row === null) continue; // nothing was written: the slot is free for the next event
      slot++;
      // No model: the event goes on unscored, and is counted so (never skipped silently; the
      // edge counts these as SS_EDGE_SCORER_DEGRADED from status()).
      if (model === undefined) {
        this.unscored++;
        continue;
      }
      // Shed by the caller's overload policy: memory updated above, no model run.
      if (shed?.(ev)) {
        miss('SS_EDGE_SCORER_SHED');
        continue;
      }
      rows.push(row);
      scoredEvents.push(ev);
      learningOf.push(learning);
    }
    // The caller's batch is a natural micro-batch: sent now as one run, one promise for all rows.
    const values = model === undefined ? [] : await this.batcher.submitMany(rows);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (typeof v !== 'number') {
        miss(v === 'overload' ? 'SS_EDGE_SCORER_SHED' : v === 'timeout' ? 'SS_EDGE_SCORER_TIMEOUT' : 'SS_EDGE_SCORER_ERROR');
        continue;
      }
      const m = this.current ?? model!;
      const over = v > m.meta.threshold;
      const anomalous = over && !learningOf[i]!;
      scoredEvents[i]!.score = { value: v, threshold: m.meta.threshold, model: m.meta.id, anomalous };
      this.scored++;
      if (anomalous) this.anomalous++;
      else if (over) this.warmingUp++;
    }
    if (this.opts.state && this.clock() - this.lastSnapshot >= (this.opts.snapshotEveryMs ?? 30_000)) this.saveState();
    return outcome;
  }

  status(): ScorerStatus {
    const m = this.current;
    const base = {
      path: this.opts.modelPath,
      reloads: this.reloads,
      scored: this.scored,
      anomalous: this.anomalous,
      warmingUp: this.warmingUp,
      unscored: this.unscored,
      batcher: { ...this.batcher.counters },
      engine: { referenceRows: this.referenceRows, onnxRuns: this.onnxRuns },
      featureState: {
        restoredDevices: this.restoredDevices, saves: this.saves,
        ...(this.savedAt !== undefined ? { savedAt: this.savedAt } : {}), ...(this.stateProblem ? { problem: this.stateProblem } : {}),
      },
    };
    if (this.closed) return { ...base, state: 'off', reason: 'scorer closed' };
    if (!m) {
      return { ...base, state: 'degraded', reason: this.problem?.reason ?? 'model not loaded yet', ...(this.problem ? { code: this.problem.code } : {}) };
    }
    return {
      ...base,
      state: 'ok',
      model: m.meta.id,
      sha256: m.sha256,
      threshold: m.meta.threshold,
      ...(this.problem ? { reason: this.problem.reason, code: this.problem.code } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    this.saveState();
    this.opts.state?.close?.();
    this.batcher.close();
    await this.reloading;
    const m = this.current;
    this.current = undefined;
    if (m) await m.session.release().catch(() => undefined);
  }
}

function fileKey(st: Pick<Stats, 'ino' | 'size' | 'mtimeMs'> | undefined): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '0:0:0';
}

/** Build and start a scorer: `await createOnnxScorer({ modelPath })`. Never throws for a bad model. */
export async function createOnnxScorer(opts: OnnxScorerOptions): Promise<OnnxScorer> {
  const s = new OnnxScorer(opts);
  await s.start();
  return s;
}
