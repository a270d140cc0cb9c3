// Before/after for an edge started with other node flags (issue 14, memory: the heap flags):
//   node --import tsx bench/ab-node-args.ts "<with flags>" "<without flags>" [rounds] [ms] [devices]
// alternates this checkout's `safestar edge` started with either set of flags under the edge
// benchmark's load (same hub stand-in) and prints per-pair events/s ratios (with / without) and
// the edge's CPU µs per event of each run. spawnEdge adds the edge's own flags (bin/edge-env.js)
// where a set does not name them, so "without" names V8's defaults, e.g. on Node 20
// "--max-semi-space-size=16 --heap-growing-percent=0" (0: V8 picks the factor). JSON last line.
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
const flags = flagsArg.split(' ').filter(Boolean);
const without = withoutArg.split(' ').filter(Boolean);
const site = benchSite({ devices: Number(devicesArg), edgeId: 'edge-ab', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
const cpu: Record<string, number[]> = { with: [], without: [] };
const start = machine();
const runs = await alternate(
  (['with', 'without'] as const).map((name) => ({
    name,
    run: async () => {
      const r = await edgeRun(site, Number(msArg), { nodeArgs: name === 'with' ? flags : without });
      cpu[name]!.push(Math.round(r.edgeCpuUsPerEvent * 10) / 10);
      return { value: r.eventsPerSec, detail: { acked: r.acked, forwarded: r.forwarded, unscored: r.unscored } };
    },
  })),
  Number(roundsArg),
  (s) => process.stderr.write(`${s}\n`),
);
const ratio = pairedRatio(runs.get('with')!, runs.get('without')!, flags.join(' '));
process.stdout.write(`${JSON.stringify({ flags, without, withPerSec: values(runs.get('with')!), withoutPerSec: values(runs.get('without')!), cpuUsPerEvent: cpu, ratio, loads: [...runs.get('with')!, ...runs.get('without')!].map((r) => r.load1), start, end: machine() })}\n`);
