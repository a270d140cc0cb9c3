import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStatus, distDir } from '../../bin/compiled.js';
import type { PairedRatio } from './pairs.ts';
import type { Summary } from './stats.ts';

export interface Row {
  /** What was measured, e.g. "edge throughput". */
  name: string;
  unit: string;
  value: Summary;
  /** The anchor measured in the same sitting, alternating with the figure (A B A B …). */
  baseline?: { name: string; value: Summary };
  /** Per-pair ratios value[i] / baseline[i], summarised: what the target is judged on. */
  pairs?: PairedRatio;
  /** A ratio that is not per pair (e.g. a cost ratio in one process). */
  ratio?: number;
  target?: string;
  met?: boolean;
  /** The 1-minute load average when each run of this figure started. */
  loads?: number[];
  note?: string;
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  commit: string;
  at: string;
  /** os.loadavg() (1, 5, 15 min) when this was taken. */
  load: number[];
  /**
   * The code a benchmarked `safestar edge` runs (bin/compiled.js): 'compiled' when dist/ is a
   * build of these sources (`npm run bench` builds first), else 'sources:<why>' (tsx: 25-35 MiB
   * more RSS, see edge/README.md "Memory").
   */
  edgeBuild: string;
}

function edgeBuild(): string {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const s = buildStatus(root, distDir(root, process.env));
  return s.current ? 'compiled' : `sources:${s.reason}`;
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit: gitCommit(),
    at: new Date().toISOString(),
    load: loadavg().map((l) => Math.round(l * 100) / 100),
    edgeBuild: edgeBuild(),
  };
}

export const fmt = (n: number): string =>
  !Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);

const ratioCell = (r: Row): string => {
  if (r.pairs) return `${r.pairs.median.toFixed(2)} (${r.pairs.min.toFixed(2)}–${r.pairs.max.toFixed(2)}) [${r.pairs.runs.map((x) => x.toFixed(2)).join(' ')}]`;
  return r.ratio === undefined ? '' : r.ratio.toFixed(2);
};

const loadCell = (r: Row): string => (r.loads && r.loads.length ? `${Math.min(...r.loads).toFixed(1)}–${Math.max(...r.loads).toFixed(1)}` : '');

/** The table: per-pair ratios (median, min–max, each pair) next to the anchor and the load. */
export function renderTable(rows: readonly Row[]): string {
  const head = ['benchmark', 'median', 'min', 'max', 'unit', 'anchor, same sitting (median)', 'ratio per pair: median (min–max) [pairs]', 'target', 'met', 'load1'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.value.median),
    fmt(r.value.min),
    fmt(r.value.max),
    r.unit,
    r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value.median)}` : '',
    ratioCell(r),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    loadCell(r),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`);
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** One line about the machine, printed above the table. */
export function renderMachine(start: Machine, end: Machine): string {
  return `machine: ${start.cores} cores (${start.cpu}), Node ${start.node}, commit ${start.commit}; load (1/5/15 min) at start ${start.load.join(' / ')}, at end ${end.load.join(' / ')}`;
}

export interface SuiteResult {
  suite: string;
  quick: boolean;
  machine: { start: Machine; end: Machine };
  rows: Row[];
  /** The machine-readable summary (`vsNodeRed`, `vsBareAedes`, …) also printed as the last line. */
  summary: Record<string, unknown>;
}

/**
 * Write one timestamped JSON file per run, and fold each suite into `latest.json` (full runs) or
 * `latest-quick.json` (--quick), so the committed `latest.json` always holds the newest full run
 * of every suite, each with the commit, load, cores and Node version it ran under.
 */
export function writeResults(dir: string, results: readonly SuiteResult[], quick: boolean): string {
  mkdirSync(dir, { recursive: true });
  const name = results.map((r) => r.suite).join('+');
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ results }, null, 2));
  const latest = join(dir, quick ? 'latest-quick.json' : 'latest.json');
  let prev: { suites?: Record<string, SuiteResult> } = {};
  if (existsSync(latest)) {
    try {
      prev = JSON.parse(readFileSync(latest, 'utf8')) as typeof prev;
    } catch {
      prev = {};
    }
  }
  const suites = { ...(prev.suites ?? {}) };
  for (const r of results) suites[r.suite] = r;
  writeFileSync(latest, `${JSON.stringify({ note: 'written by `npm run bench` / `safestar bench`; one entry per suite, newest run of each', suites }, null, 2)}\n`);
  return file;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function isSummary(v: unknown): v is Summary {
  return typeof v === 'object' && v !== null && 'median' in v && 'min' in v && 'max' in v && 'runs' in v;
}

/**
 * The one JSON line a suite ends with: its measured ratios (each as median, min, max and the
 * per-pair values), the cores, the load at its start and end, Node version and commit.
 */
export function summaryLine(r: SuiteResult): string {
  const fields = Object.fromEntries(
    Object.entries(r.summary).map(([k, v]) => [k, isSummary(v) ? { median: round3(v.median), min: round3(v.min), max: round3(v.max), pairs: v.runs.map(round3) } : v]),
  );
  const m = r.machine.start;
  return JSON.stringify({ suite: r.suite, quick: r.quick, ...fields, cores: m.cores, load: [m.load[0], r.machine.end.load[0]], node: m.node, commit: m.commit, edgeBuild: m.edgeBuild });
}
