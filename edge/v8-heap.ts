import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * The shape of the edge's V8 heap (issue 14, memory): RSS follows what V8 commits, which was
 * about twice the live heap (62-75 MiB live in 111-147 committed at 2,000 devices).
 *
 * Young generation: a cap, set while the edge runs. V8 grows the new
 * space (two semi-spaces) by `--semi-space-growth-factor` after scavenges that keep much, up to
 * its maximum: 32 MiB on Node 20, 128 MiB on Node 24, all of it resident once used. The edge's
 * short-lived garbage (packets, events, rows) dies within a group commit, so 8 MiB does the same
 * work: measured at 2,000 devices, V8 committed ~88-90 vs ~116 MiB for the same live heap, same
 * CPU per event (edge/README.md "Memory"). `--max-semi-space-size` can only be given at start,
 * but the growth factor is read at each growth: bin/safestar.js holds it at 1 from the first line
 * (new space stays at its 2 MiB start while the modules load), and once the edge is up this lets
 * the next growth land on the target and holds it there again. A node flag given by the
 * operator (`--max-semi-space-size`) wins: then this does nothing.
 */
export const YOUNG_GENERATION_BYTES = 8 * 2 ** 20;

/** The growth factor that takes `current` to `target` in one growth, or 1 (hold) at or past it. */
export function growthFactor(current: number, target: number): number {
  if (!(current > 0) || current >= target) return 1;
  return Math.max(1, Math.floor(target / current));
}

/** Whether the operator sized the young generation with a node flag (argv or NODE_OPTIONS). */
export function youngGenerationSetByOperator(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--max[-_]semi[-_]space[-_]size\b/.test(a) || /^--semi[-_]space[-_]growth[-_]factor\b/.test(a));
}

/**
 * Old generation: after each mark-compact V8 lets the old space grow to live × a factor it picks
 * from GC and mutator speed (up to 4×; ~1.8-2× measured here) before the next one. A fixed 1.25×
 * bounds the swing; the flag is read at each limit computation, so it can be set at run time.
 */
export const OLD_GENERATION_GROWING_PERCENT = 25;

export function oldGenerationSetByOperator(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent\b/.test(a));
}

/** Bound the old generation's growth unless the operator chose a percent. Returns whether it was set. */
export function boundOldGeneration(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS']): boolean {
  if (oldGenerationSetByOperator(execArgv, nodeOptions)) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWING_PERCENT}`);
  return true;
}

export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

export class YoungGenerationCap {
  private observer: PerformanceObserver | undefined;
  private factor = 0;

  constructor(private readonly target = YOUNG_GENERATION_BYTES) {}

  /** Start (after every GC: re-aim the next growth). Returns false, doing nothing, when the operator set it. */
  start(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS']): boolean {
    if (youngGenerationSetByOperator(execArgv, nodeOptions)) return false;
    this.aim();
    // V8 may also shrink the new space (low allocation rate): the next growth aims at the target again.
    this.observer = new PerformanceObserver(() => this.aim());
    this.observer.observe({ entryTypes: ['gc'] });
    return true;
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  private aim(): void {
    const f = growthFactor(newSpaceBytes(), this.target);
    if (f === this.factor) return;
    this.factor = f;
    v8.setFlagsFromString(`--semi-space-growth-factor=${f}`);
  }
}
