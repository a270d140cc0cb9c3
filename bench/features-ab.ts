// Feature-version A/B (issue 15): the extractor and scorer of this checkout against those of
// another checkout (e.g. f7: `git worktree add /tmp/f7 b7bf800 && ln -s $PWD/node_modules /tmp/f7/`),
// on the same event stream in the same process, alternating, CPU µs per event (process.cpuUsage).
//   nice -n 10 node --expose-gc --import tsx bench/features-ab.ts --against /tmp/f7 [--rounds 5] [--days 1] [--reverse] [--drop t1,t2]
// The stream is one day of training city 14 (14 compounds, vendor profiles on: 75,051 events),
// the one the f6 → f7 A/B of models/README.md "Cost" used. Two figures per checkout and round:
// features alone, and features + TypeScript scoring at batch 1 (live group commits hold 1 event,
// kt-2.7.0.live.json), each event pushed then its row scored, as edge/scoring/onnx-scorer.ts does.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FEATURE_COUNT } from '../models/features.ts';
import { KT_RECIPE } from '../models/kt.ts';
import { trafficEvents } from '../models/sources.ts';
import { loadCheckout, type CheckoutDetector } from './lib/checkout.ts';
import { alternate, loads, pairedRatio, values, type System } from './lib/pairs.ts';
import { machine, renderMachine, renderTable, type Row } from './lib/report.ts';
import { cpuMicrosPer, summarize } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    against: { type: 'string' },
    'against-model': { type: 'string' },
    rounds: { type: 'string', default: '5' },
    days: { type: 'string', default: '1' },
    // The other checkout runs first in each round (the default runs this one first): a second
    // sitting with --reverse shows whether the position in the round, not the code, made a gap.
    reverse: { type: 'boolean', default: false },
    // Event types left out of the stream (comma-separated), e.g. the ones only f8 does extra work
    // for (intrusion-enter,intrusion-leave,door-forced): tells whether a gap comes from that work.
    drop: { type: 'string', default: '' },
  },
});
if (!args.against) throw new Error('SS_BENCH_ARGS: pass --against <root of the other checkout> (e.g. a worktree of b7bf800, f7)');
const rounds = Number(args.rounds);
const days = Number(args.days);
const TARGET_US = 5; // issue 15: features + scoring ≤ 5 µs per event at the live batch size

const start = machine();
const city = KT_RECIPE.train.find((c) => c.citySeed === 14)!;
const drop = new Set(args.drop.split(',').filter((t) => t !== ''));
const events = [...trafficEvents({ ...city, days })].filter((e) => !drop.has(e.type));
const say = (s: string): void => void process.stderr.write(`${s}\n`);
say(`stream: city ${city.citySeed} (${city.compounds} compounds), ${days} day(s) from ${city.start}: ${events.length} events${drop.size ? ` (without ${[...drop].join(', ')})` : ''}`);

// This checkout is the one holding this script, wherever it is run from.
const here = await loadCheckout(join(import.meta.dirname, '..'));
const other = await loadCheckout(args.against, args['against-model']);
const gc = (globalThis as { gc?: () => void }).gc;

/** Push every event through a fresh extractor; with `score`, score each row at batch 1. */
function pass(d: CheckoutDetector, score: boolean, upTo = events.length): number {
  const fx = d.newExtractor();
  const row = new Float32Array(d.featureCount);
  const out = new Float32Array(1);
  for (let i = 0; i < upTo; i++) {
    const r = fx.push(events[i]!, row);
    if (score && r !== null) d.score(r, 1, out);
  }
  return upTo;
}

// An A/A sitting (two checkouts of one feature version) needs names that still tell them apart.
const same = here.featureVersion === other.featureVersion;
const labelOf = (d: CheckoutDetector): string => (same ? `${d.featureVersion} ${d === here ? 'A' : 'B'}` : d.featureVersion);
const system = (d: CheckoutDetector, score: boolean): System => ({
  name: `${labelOf(d)} ${score ? 'features + scoring (batch 1)' : 'features'}`,
  run: async () => {
    gc?.(); // the previous run's garbage is not this run's cost
    const { us } = cpuMicrosPer(() => pass(d, score));
    return { value: us };
  },
});
// Warm the JIT of both checkouts' code before anything is timed.
for (const d of [here, other]) for (const s of [false, true]) pass(d, s, Math.min(events.length, 20_000));

const pairs = [false, true].map((scored) => ({ scored, a: system(here, scored), b: system(other, scored) }));
const systems = pairs.flatMap((p) => (args.reverse ? [p.b, p.a] : [p.a, p.b]));
const runs = await alternate(systems, rounds, say);
const rows: Row[] = pairs.map(({ scored, a: sa, b: sb }) => {
  const a = runs.get(sa.name)!;
  const b = runs.get(sb.name)!;
  const value = summarize(values(a));
  return {
    name: `${sa.name}, ${here.model}`,
    unit: 'CPU µs/event',
    value,
    baseline: { name: `${labelOf(other)} (${other.model})`, value: summarize(values(b)) },
    pairs: pairedRatio(a, b, labelOf(other)),
    ...(scored ? { target: `≤ ${TARGET_US}`, met: value.median <= TARGET_US } : {}),
    loads: [...loads(a), ...loads(b)],
  };
});
const perRound = systems.map((s) => `${s.name}: ${values(runs.get(s.name)!).map((v) => v.toFixed(2)).join(' / ')}`);
process.stdout.write(`${renderMachine(start, machine())}\nstream: ${events.length} events${drop.size ? ` (without ${[...drop].join(', ')})` : ''}; ${labelOf(here)} ${here.root} vs ${labelOf(other)} ${other.root}; ${rounds} rounds, ${labelOf(args.reverse ? other : here)} first in each\n`);
process.stdout.write(`${perRound.map((l) => `- ${l}`).join('\n')}\n\n${renderTable(rows)}\n`);
process.stdout.write(`${JSON.stringify({
  events: events.length, dropped: [...drop], rounds, reverse: args.reverse, featureCount: [FEATURE_COUNT, other.featureCount],
  runs: Object.fromEntries([...runs].map(([k, v]) => [k, v.map((r) => ({ us: Math.round(r.value * 1000) / 1000, load1: Math.round(r.load1 * 100) / 100 }))])),
  ratios: rows.map((r) => ({ name: r.name, pairs: r.pairs!.runs.map((x) => Math.round(x * 1000) / 1000) })),
})}\n`);
