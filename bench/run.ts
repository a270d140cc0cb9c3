import { progress, progressDone } from './lib/progress.ts';
import { machine, renderMachine, renderTable, summaryLine, writeResults, type Row, type SuiteResult } from './lib/report.ts';
import { benchEdge } from './suites/edge.ts';
import { benchHub } from './suites/hub.ts';
import { benchE2e } from './suites/e2e.ts';
import { benchMemory } from './suites/memory.ts';
import { benchScaling } from './suites/scaling.ts';
import { benchScoringRows } from './suites/scoring.ts';
import { benchIndexRows } from './index-latency.ts';
import { benchCluster } from './suites/cluster.ts';
import { benchSoak } from './suites/soak.ts';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStatus, distDir } from '../bin/compiled.js';
import { updateReadme } from './figures.ts';

const SUITES = ['edge', 'hub', 'e2e', 'memory', 'scaling', 'scoring', 'index', 'cluster', 'soak'] as const;
type Suite = (typeof SUITES)[number];

export interface BenchOptions {
  quick: boolean;
  /** Rounds of alternating runs (system, anchor, …); at least 3 for a figure. */
  rounds?: number;
  /** Length of the soak suite (minutes); default 30, or 2 with --quick. */
  minutes?: number;
  out: string;
}

type Say = (s: string) => void;

/** Suites that start `safestar edge` processes: they measure the compiled build, as deployed. */
const EDGE_SUITES: ReadonlySet<Suite> = new Set(['edge', 'e2e', 'memory', 'scaling', 'soak']);

/**
 * Build dist/ first when it is missing or stale: `safestar edge` would otherwise run the sources
 * through tsx (25-35 MiB more RSS, bin/compiled.js), and a figure would silently be of that. A
 * file edited during a run makes the edges started after it run the sources: the results name
 * the build of the run's start and end (machine().edgeBuild).
 */
function ensureBuilt(say: Say): boolean {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const status = buildStatus(root, distDir(root, process.env));
  if (status.current) return true;
  say(`building dist/ first (${status.reason}): the edge suites measure the compiled edge`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../bin/build.js', import.meta.url))], { stdio: 'inherit' });
  if (r.status === 0) return true;
  process.stderr.write('SS_BENCH_BUILD: `npm run build` failed (above); fix it, or the edge suites would measure the sources through tsx\n');
  return false;
}

async function runSuite(s: Suite, o: BenchOptions, say: Say): Promise<{ rows: Row[]; summary: Record<string, unknown> }> {
  const q = o.quick;
  const rounds = o.rounds ?? 3;
  switch (s) {
    case 'scoring': {
      say('scoring: onnxruntime vs TypeScript…');
      return { rows: await benchScoringRows(), summary: {} };
    }
    case 'edge': {
      const r = await benchEdge({ devices: 100, durationMs: q ? 2500 : 6000, rounds, say });
      return { rows: r.rows, summary: { vsNodeRed: r.vsNodeRed, vsBareAedes: r.vsBareAedes, unscored: r.unscored, edgeUnscored: r.edgeUnscored, edgeCpuUsPerEvent: r.edgeCpuUsPerEvent } };
    }
    case 'hub': {
      const r = await benchHub({ events: q ? 40_000 : 150_000, edges: 4, rounds, say });
      return { rows: r.rows, summary: { vsRawInflux: r.vsRawInflux, hubCpuUsPerEvent: r.cpuUsPerEvent } };
    }
    case 'e2e': {
      // The burnt-core pass runs in --quick too (shorter): the JSON line always holds both latency figures.
      const r = await benchE2e({ devices: 100, durationMs: q ? 2000 : 8000, rounds, latencyRate: 2000, latencyMs: q ? 10_000 : 120_000, burn: true, say });
      return { rows: r.rows, summary: { vsNodeRed: r.vsNodeRed, vsBareAedes: r.vsBareAedes, latencyMs: r.latency, latencyBurntMs: r.latencyBurnt } };
    }
    case 'soak': {
      const r = await benchSoak({ devices: 2000, minutes: o.minutes ?? (q ? 2 : 30), say });
      return { rows: r.rows, summary: r.summary };
    }
    case 'cluster':
      return benchCluster({ events: q ? 20_000 : 60_000, rounds, say });
    case 'index':
      return { rows: await benchIndexRows({ durationMs: q ? 6000 : 20_000, say }), summary: {} };
    case 'memory':
      return { rows: await benchMemory({ hubDevices: 100_000, edgeDevices: q ? 500 : 2000, loadSeconds: q ? 20 : 60, loadRate: q ? 2000 : 5000, say }), summary: {} };
    case 'scaling':
      return {
        rows: await benchScaling({ edgeDevices: q ? [100, 1000] : [100, 1000, 5000], hubEdges: q ? [10, 100] : [10, 100, 1000], durationMs: q ? 3000 : 5000, hubEvents: q ? 30_000 : 100_000, say }),
        summary: {},
      };
  }
}

/**
 * Runs the chosen suites, prints the machine line and one table, writes JSON, and ends with one
 * JSON line per suite holding its measured ratios. Exit code 0 even when a target is missed, 1 when
 * a suite failed to run.
 */
export async function runBench(which: string, o: BenchOptions): Promise<number> {
  const chosen: Suite[] = which === 'all' ? [...SUITES] : SUITES.filter((s) => s === which);
  if (chosen.length === 0) {
    process.stderr.write(`SS_BENCH_SUITE: unknown suite '${which}'; use one of ${SUITES.join(', ')}, all\n`);
    return 2;
  }
  if (o.minutes !== undefined && !(o.minutes > 0)) {
    process.stderr.write('SS_BENCH_MINUTES: --minutes must be a positive number\n');
    return 2;
  }
  if ((o.rounds ?? 3) < 1) {
    process.stderr.write('SS_BENCH_ROUNDS: --rounds must be at least 1 (3 or more for a figure)\n');
    return 2;
  }
  const t0 = Date.now();
  const say: Say = (s) => progress(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);
  if (chosen.some((s) => EDGE_SUITES.has(s)) && !process.env.SS_EDGE_DIST && !ensureBuilt(say)) return 1;
  const results: SuiteResult[] = [];
  let failed = 0;
  for (const s of chosen) {
    const start = machine();
    let r: { rows: Row[]; summary: Record<string, unknown> };
    try {
      r = await runSuite(s, o, say);
    } catch (e) {
      // One broken suite must not cost the others their figures: it shows up in the table instead.
      failed++;
      const message = (e as Error).message.split('\n')[0] ?? '';
      say(`${s}: FAILED: ${message}`);
      r = { rows: [{ name: `${s} suite FAILED`, unit: '', value: { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: [] }, met: false, note: message }], summary: { error: message } };
    }
    const result: SuiteResult = { suite: s, quick: o.quick, machine: { start, end: machine() }, rows: r.rows, summary: r.summary };
    results.push(result);
    // Written as each suite ends, so a long run that is stopped keeps what it measured.
    writeResults(o.out, [result], o.quick);
    // The README's figures are always those of the committed results, never typed in.
    if (!o.quick && resolve(o.out) === fileURLToPath(new URL('./results', import.meta.url))) updateReadme();
  }
  progressDone();
  const first = results[0]!.machine.start;
  const last = results.at(-1)!.machine.end;
  process.stdout.write(`${renderMachine(first, last)}\n\n${renderTable(results.flatMap((r) => r.rows))}\n\n`);
  process.stdout.write(`results: ${o.out}/${o.quick ? 'latest-quick' : 'latest'}.json (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  for (const r of results) if (Object.keys(r.summary).length > 0) process.stdout.write(`${summaryLine(r)}\n`);
  return failed > 0 ? 1 : 0;
}
