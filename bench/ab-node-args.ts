// Before/after for an edge started with other node flags (issue 14, memory: the heap flags):
//   node --import tsx bench/ab-node-args.ts "<with flags>" "<without flags>" [rounds] [ms] [devices]
// alternates this checkout's `safestar edge` started with either set of flags under the edge
// benchmark's load (same hub stand-in) and prints per-pair events/s ratios (with / without) and
// the edge's CPU µs per event of each run. Name V8's defaults on the "without" side to be explicit,
// e.g. on Node 20 "--max-semi-space-size=16 --heap-growing-percent=0" (0: V8 picks the factor);
// spawnEdge gives both sides MALLOC_ARENA_MAX=2 unless a side names it. JSON on the last line.
import { tmpdir } from 'node:os';
import { edgeRun } from './lib/edge-run.ts';
import { alternate, pairedRatio, values } from './lib/pairs.ts';
import { machine } from './lib/report.ts';
import { benchSite } from './suites/fixtures.ts';

const [flagsArg, withoutArg, roundsArg = '3', msArg = '5000', devicesArg = '100'] = process.argv.slice(2);
if (flagsArg === undefined || withoutArg === undefined) {
  process.stderr.write('SS_BENCH_AB: usage: bench/ab-node-args.ts "<with flags>" "<without flags>" [rounds] [ms] [devices]\n');
  process.exit(2);
}
// A token NAME=value (no leading --) is an environment variable of that run, e.g. MALLOC_ARENA_MAX=16.
const split = (a: string): { args: string[]; env: NodeJS.ProcessEnv } => {
  const t = a.split(' ').filter(Boolean);
  const bad = t.filter((x) => !x.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(x));
  if (bad.length > 0) {
    process.stderr.write(`SS_BENCH_AB: '${bad.join(' ')}' is neither a --flag nor NAME=value\n`);
    process.exit(2);
  }
  return { args: t.filter((x) => x.startsWith('-')), env: Object.fromEntries(t.filter((x) => !x.startsWith('-')).map((x) => [x.split('=')[0]!, x.slice(x.indexOf('=') + 1)])) };
};
const flags = split(flagsArg);
const without = split(withoutArg);
const site = benchSite({ devices: Number(devicesArg), edgeId: 'edge-ab', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
const cpu: Record<string, number[]> = { with: [], without: [] };
const rssHighWater: Record<string, number[]> = { with: [], without: [] };
const start = machine();
const runs = await alternate(
  (['with', 'without'] as const).map((name) => ({
    name,
    run: async () => {
      const r = await edgeRun(site, Number(msArg), name === 'with' ? { nodeArgs: flags.args, env: flags.env } : { nodeArgs: without.args, env: without.env });
      cpu[name]!.push(Math.round(r.edgeCpuUsPerEvent * 10) / 10);
      rssHighWater[name]!.push(Math.round(r.edgeRssHighWaterMiB));
      return { value: r.eventsPerSec, detail: { acked: r.acked, forwarded: r.forwarded, unscored: r.unscored } };
    },
  })),
  Number(roundsArg),
  (s) => process.stderr.write(`${s}\n`),
);
const ratio = pairedRatio(runs.get('with')!, runs.get('without')!, flagsArg);
process.stdout.write(`${JSON.stringify({ flags: flagsArg, without: withoutArg, withPerSec: values(runs.get('with')!), withoutPerSec: values(runs.get('without')!), cpuUsPerEvent: cpu, rssHighWaterMiB: rssHighWater, ratio, loads: [...runs.get('with')!, ...runs.get('without')!].map((r) => r.load1), start, end: machine() })}\n`);
