// What each core buys (issue 14): `node --import tsx bench/ab-workers.ts [rounds] [ms] [devices] [workers list]`
// alternates the real `safestar edge` with `pipeline.workers` = each entry of the list (default
// 0,1,2: ingest on the socket thread, on one thread beside it, on two), same load and hub
// stand-in, and prints per-pair ratios against workers=0 with the load of each run. Edge CPU
// per event is the whole process (every thread) from /proc. JSON on the last line.
import { tmpdir } from 'node:os';
import { edgeRun } from './lib/edge-run.ts';
import { alternate, pairedRatio, values } from './lib/pairs.ts';
import { machine } from './lib/report.ts';
import { benchSite } from './suites/fixtures.ts';

const [roundsArg = '3', msArg = '5000', devicesArg = '100', listArg = '0,1,2'] = process.argv.slice(2);
const counts = listArg.split(',').map(Number);
if (counts.some((n) => !Number.isInteger(n) || n < 0) || !counts.includes(0)) {
  process.stderr.write('SS_BENCH_AB: usage: bench/ab-workers.ts [rounds] [ms] [devices] [workers list holding 0, e.g. 0,1,2]\n');
  process.exit(2);
}
const site = benchSite({ devices: Number(devicesArg), edgeId: 'edge-ab', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
const name = (n: number): string => `workers=${n}`;
const cpu: Record<string, number[]> = Object.fromEntries(counts.map((n) => [name(n), []]));
const start = machine();
const runs = await alternate(
  counts.map((n) => ({
    name: name(n),
    run: async () => {
      const r = await edgeRun({ ...site, config: { ...site.config, pipeline: { workers: n } } }, Number(msArg));
      cpu[name(n)]!.push(Math.round(r.edgeCpuUsPerEvent * 10) / 10);
      return { value: r.eventsPerSec, detail: { acked: r.acked, forwarded: r.forwarded, deadLettered: r.deadLettered, unscored: r.unscored } };
    },
  })),
  Number(roundsArg),
  (s) => process.stderr.write(`${s}\n`),
);
const base = runs.get(name(0))!;
const perSec = Object.fromEntries(counts.map((n) => [name(n), values(runs.get(name(n))!).map(Math.round)]));
const ratios = Object.fromEntries(counts.filter((n) => n !== 0).map((n) => [`${name(n)}/${name(0)}`, pairedRatio(runs.get(name(n))!, base, name(0))]));
const detail = Object.fromEntries(counts.map((n) => [name(n), runs.get(name(n))!.map((r) => ({ load1: Math.round(r.load1 * 100) / 100, ...r.detail }))]));
process.stdout.write(`${JSON.stringify({ perSec, cpuUsPerEvent: cpu, ratios, detail, start, end: machine() })}\n`);
