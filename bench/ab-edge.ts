// Before/after for edge speed work: `node --import tsx bench/ab-edge.ts <other checkout>/bin/safestar.js [rounds] [ms]`
// alternates this checkout's `safestar edge` with another one's (same load, same hub stand-in) and
// prints per-pair ratios (this / other) with the load of each run. JSON on the last line.
import { tmpdir } from 'node:os';
import { edgeRun } from './lib/edge-run.ts';
import { alternate, pairedRatio, values } from './lib/pairs.ts';
import { machine } from './lib/report.ts';
import { benchSite } from './suites/fixtures.ts';

const [other, roundsArg = '3', msArg = '5000', devicesArg = '100'] = process.argv.slice(2);
if (!other) {
  process.stderr.write('SS_BENCH_AB: usage: bench/ab-edge.ts <other>/bin/safestar.js [rounds] [ms] [devices]\n');
  process.exit(2);
}
const site = benchSite({ devices: Number(devicesArg), edgeId: 'edge-ab', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
const cpu: Record<string, number[]> = { this: [], other: [] };
const start = machine();
const runs = await alternate(
  (['this', 'other'] as const).map((name) => ({
    name,
    run: async () => {
      const r = await edgeRun(site, Number(msArg), name === 'other' ? { bin: other } : {});
      cpu[name]!.push(Math.round(r.edgeCpuUsPerEvent * 10) / 10);
      return { value: r.eventsPerSec, detail: { acked: r.acked, forwarded: r.forwarded, unscored: r.unscored } };
    },
  })),
  Number(roundsArg),
  (s) => process.stderr.write(`${s}\n`),
);
const ratio = pairedRatio(runs.get('this')!, runs.get('other')!, other);
process.stdout.write(`${JSON.stringify({ thisPerSec: values(runs.get('this')!), otherPerSec: values(runs.get('other')!), cpuUsPerEvent: cpu, ratio, loads: [...runs.get('this')!, ...runs.get('other')!].map((r) => r.load1), start, end: machine() })}\n`);
