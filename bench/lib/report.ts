import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Summary } from './stats.ts';

export interface Row {
  /** What was measured, e.g. "edge throughput". */
  name: string;
  unit: string;
  value: Summary;
  /** The raw component measured in the same run, when the figure is a ratio against one. */
  baseline?: { name: string; value: Summary };
  /** value.median / baseline.median (or a stated comparison). */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function machine(): Record<string, string | number> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit: gitCommit(),
    at: new Date().toISOString(),
  };
}

const fmt = (n: number): string =>
  !Number.isFinite(n) ? String(n) : Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);

export function renderTable(rows: readonly Row[]): string {
  const head = ['benchmark', 'median', 'min', 'max', 'unit', 'baseline (median)', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.value.median),
    fmt(r.value.min),
    fmt(r.value.max),
    r.unit,
    r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value.median)}` : '',
    r.ratio === undefined ? '' : r.ratio.toFixed(2),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function writeResults(dir: string, suite: string, rows: readonly Row[]): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ suite, machine: machine(), rows }, null, 2));
  return file;
}
