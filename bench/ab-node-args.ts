// Before/after for an edge started with other node flags (issue 14, memory: young-generation size):
//   node --import tsx bench/ab-node-args.ts "<flags, space-separated>" [rounds] [ms] [devices]
// alternates this checkout's `safestar edge` with and without the flags under the edge benchmark's
// load (same hub stand-in) and prints per-pair events/s ratios (with / without) and the edge's CPU
// µs per event of each run. JSON on the last line.
import { tmpdir } from 'node:os';
import { edgeRun } from './lib/edge-run.ts';
import { alternate, pairedRatio, values } from './lib/pairs.ts';
import { machine } from './lib/report.ts';
import { benchSite } from './suites/fixtures.ts';

const [flagsArg, roundsArg = '3', msArg = '5000', devicesArg = '100'] = process.argv.slice(2);
if (flagsArg === undefined) {
  process.stderr.write('SS_BENCH_AB: usage: bench/ab-node-args.ts "<node flags>" [rounds] [ms] [devices]\n');
  process.exit(2);
}
const flags = flagsArg.split(' ').filter(Boolean);
const site = benchSite({ devices: Number(devicesArg), edgeId: 'edge-ab', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
const cpu: Record<string, number[]> = { with: [], without: [] };
const start = machine();
const runs = await alternate(
  (['with', 'without'] as const).map((name) => ({
    name,
    run: async () => {
      const r = await edgeRun(site, Number(msArg), { nodeArgs: name === 'with' ? flags : [] });
      cpu[name]!.push(Math.round(r.edgeCpuUsPerEvent * 10) / 10);
      return { value: r.eventsPerSec, detail: { acked: r.acked, forwarded: r.forwarded, unscored: r.unscored } };
    },
  })),
  Number(roundsArg),
  (s) => process.stderr.write(`${s}\n`),
);
const ratio = pairedRatio(runs.get('with')!, runs.get('without')!, flags.join(' '));
process.stdout.write(`${JSON.stringify({ flags, withPerSec: values(runs.get('with')!), withoutPerSec: values(runs.get('without')!), cpuUsPerEvent: cpu, ratio, loads: [...runs.get('with')!, ...runs.get('without')!].map((r) => r.load1), start, end: machine() })}\n`);
