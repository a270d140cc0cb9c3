import { loadavg } from 'node:os';
import { summarize, type Summary } from './stats.ts';

/** One timed run of one system, with the machine's 1-minute load when it started. */
export interface Run {
  value: number;
  load1: number;
  detail?: Record<string, number | string>;
}

export interface System {
  name: string;
  run: () => Promise<{ value: number; detail?: Record<string, number | string> }>;
}

/**
 * Run the systems in turn, `rounds` times (A B C A B C …), so drift on a shared machine hits
 * each alike; every run records the load it started under. Returns the runs of each system by name.
 */
export async function alternate(systems: readonly System[], rounds: number, say: (s: string) => void = () => {}): Promise<Map<string, Run[]>> {
  if (rounds < 1) throw new Error('SS_BENCH_ROUNDS: at least one round is needed');
  const out = new Map<string, Run[]>(systems.map((s) => [s.name, []]));
  for (let i = 0; i < rounds; i++) {
    for (const s of systems) {
      const load1 = loadavg()[0] ?? Number.NaN;
      say(`round ${i + 1}/${rounds}: ${s.name} (load ${load1.toFixed(2)})…`);
      const r = await s.run();
      out.get(s.name)!.push({ value: r.value, load1, ...(r.detail ? { detail: r.detail } : {}) });
    }
  }
  return out;
}

/** a[i] / b[i] for runs of the same round: the ratio that counts on a machine whose speed drifts. */
export function pairRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`SS_BENCH_PAIRS: ${a.length} runs against ${b.length}; pairs need equal counts`);
  if (a.length === 0) throw new Error('SS_BENCH_EMPTY: no pairs');
  return a.map((x, i) => x / b[i]!);
}

export interface PairedRatio extends Summary {
  against: string;
}

/** Per-pair ratios of `a` over `b`, summarised (median, min, max, and each pair's ratio). */
export function pairedRatio(a: readonly Run[], b: readonly Run[], against: string): PairedRatio {
  return { ...summarize(pairRatios(a.map((r) => r.value), b.map((r) => r.value))), against };
}

export const values = (runs: readonly Run[]): number[] => runs.map((r) => r.value);
export const loads = (runs: readonly Run[]): number[] => runs.map((r) => r.load1);
