import { progress, progressDone } from './lib/progress.ts';
import { renderTable, writeResults, type Row } from './lib/report.ts';
import { benchEdge } from './suites/edge.ts';
import { benchHub } from './suites/hub.ts';
import { benchE2e } from './suites/e2e.ts';
import { benchMemory } from './suites/memory.ts';
import { benchScaling } from './suites/scaling.ts';
import { benchScoringRows } from './suites/scoring.ts';
import { benchIndexRows } from './index-latency.ts';

const SUITES = ['edge', 'hub', 'e2e', 'memory', 'scaling', 'scoring', 'index'] as const;
type Suite = (typeof SUITES)[number];

/** Runs the chosen suites, prints one table, writes JSON. Exit code 0 even when a target is missed. */
export async function runBench(which: string, o: { quick: boolean; repeats?: number; out: string }): Promise<number> {
  const chosen: Suite[] = which === 'all' ? [...SUITES] : SUITES.filter((s) => s === which);
  if (chosen.length === 0) {
    process.stderr.write(`SS_BENCH_SUITE: unknown suite '${which}'; use one of ${SUITES.join(', ')}, all\n`);
    return 2;
  }
  const q = o.quick;
  const repeats = o.repeats ?? (q ? 1 : 3);
  const t0 = Date.now();
  const say = (s: string): void => progress(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}`);
  const rows: Row[] = [];
  for (const s of chosen) {
    switch (s) {
      case 'scoring':
        say('scoring: onnxruntime vs TypeScript…');
        rows.push(...(await benchScoringRows()));
        break;
      case 'edge':
        rows.push(...(await benchEdge({ devices: 100, durationMs: q ? 3000 : 6000, repeats, say })));
        break;
      case 'hub':
        rows.push(...(await benchHub({ events: q ? 50_000 : 150_000, edges: 4, repeats, say })));
        break;
      case 'e2e':
        rows.push(...(await benchE2e({ devices: 100, durationMs: q ? 4000 : 8000, repeats, latencyRate: 2000, latencyMs: q ? 20_000 : 300_000, say })));
        break;
      case 'memory':
        rows.push(...(await benchMemory({ hubDevices: 100_000, edgeDevices: q ? 500 : 2000, say })));
        break;
      case 'index':
        rows.push(...(await benchIndexRows({ durationMs: q ? 6000 : 20_000, say })));
        break;
      case 'scaling':
        rows.push(...(await benchScaling({ edgeDevices: q ? [100, 1000] : [100, 1000, 5000], hubEdges: q ? [10, 100] : [10, 100, 1000], durationMs: q ? 3000 : 5000, hubEvents: q ? 30_000 : 60_000, say })));
        break;
    }
  }
  progressDone();
  process.stdout.write(`${renderTable(rows)}\n`);
  const file = writeResults(o.out, which, rows);
  process.stdout.write(`results: ${file} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  return 0;
}
