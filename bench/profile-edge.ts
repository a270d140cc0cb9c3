// Where the edge's CPU goes: `node --import tsx bench/profile-edge.ts [ms] [devices] [keep.cpuprofile]` runs the real
// `safestar edge` under --cpu-prof with the edge benchmark's load, then prints self time per event
// by area (µs/event), biggest first. JSON on the last line. Used for edge/README.md "Speed".
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeRun } from './lib/edge-run.ts';
import { machine } from './lib/report.ts';
import { benchSite } from './suites/fixtures.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

/** Area of a frame, by file first, function name second. Order matters: first match wins. */
const AREAS: [string, RegExp][] = [
  ['GC', /^\(garbage collector\)$/],
  ['idle', /^\(idle\)$/],
  ['V8 and native, unattributed (program)', /^\(program\)$/],
  ['scoring: ONNX runtime', /onnxruntime|onnx-scorer|micro-batcher/],
  ['scoring: features', /models\/features|models\/network/],
  ['outbox (SQLite)', /edge\/outbox\/|better-sqlite3|common\/sqlite/],
  ['group commit', /edge\/pipeline\/committer/],
  ['uplink (mqtt.js client)', /edge\/uplink\/|node_modules\/mqtt\//],
  ['decode (codecs)', /edge\/codecs\/|fast-xml-parser/],
  ['privacy (HMAC)', /edge\/pipeline\/privacy|edge\/privacy/],
  ['validation', /typebox|protocol\/|validate/],
  ['ingest, ids, device messages', /edge\/pipeline\/(ingest|ids|device-messages)/],
  ['auth, ACL, guard, rate limit', /edge\/(auth|broker)\//],
  ['health, stats, API', /edge\/(health|api|stats)/],
  ['aedes + mqtt-packet', /node_modules\/(aedes|mqtt-packet|aedes-[^/]+|bl|readable-stream|process-nextick)/],
  ['sockets, timers, Node internals', /^node:|^internal|^$/],
];

function area(f: ProfileNode['callFrame']): string {
  for (const [name, re] of AREAS) if (re.test(f.url) || re.test(f.functionName)) return name;
  if (f.url.includes('node_modules')) return `other deps (${/node_modules\/((@[^/]+\/)?[^/]+)/.exec(f.url)?.[1] ?? '?'})`;
  return 'other';
}

const [msArg = '8000', devicesArg = '100', keepAs] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'safestar-prof-'));
try {
  const site = benchSite({ devices: Number(devicesArg), edgeId: 'edge-prof', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
  const start = machine();
  const r = await edgeRun(site, Number(msArg), { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('SS_BENCH_PROFILE: the edge wrote no .cpuprofile');
  if (keepAs) copyFileSync(join(dir, file), keepAs); // for a flame view (DevTools, speedscope)
  const p = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const frames = new Map<string, number>();
  // Only samples inside the timed window: startup (module loading, model load) is not per event.
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < r.windowUs[0] || t > r.windowUs[1]) continue;
    const n = byId.get(p.samples[i]!);
    if (!n) continue;
    const a = area(n.callFrame);
    self.set(a, (self.get(a) ?? 0) + (p.timeDeltas[i] ?? 0));
    const f = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules\/)?/, '')}`;
    frames.set(f, (frames.get(f) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  // The profiler samples wall time: on a loaded machine a sample lands on whatever ran last even while
  // the process waits for a core. Shares are what the profile knows; µs/event scale them to the
  // CPU time /proc measured for the process over the same window.
  const busy = [...self].filter(([a]) => a !== 'idle').reduce((s, [, v]) => s + v, 0);
  const perEvent = (us: number): number => Math.round((us / busy) * r.edgeCpuUsPerEvent * 10) / 10;
  const rows = [...self].filter(([a]) => a !== 'idle').sort((a, b) => b[1] - a[1]).map(([a, us]) => ({ area: a, usPerEvent: perEvent(us), share: Math.round((us / busy) * 1000) / 10 })).filter((x) => x.usPerEvent >= 0.1);
  for (const row of rows) process.stdout.write(`${row.area.padEnd(40)} ${row.usPerEvent.toFixed(1).padStart(6)} µs/event  ${row.share.toFixed(1).padStart(5)} %\n`);
  const top = [...frames].filter(([f]) => !f.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 25).map(([f, us]) => ({ frame: f, usPerEvent: perEvent(us) }));
  process.stdout.write('\ntop frames (self time):\n');
  for (const x of top) process.stdout.write(`${x.usPerEvent.toFixed(1).padStart(6)} µs/event  ${x.frame}\n`);
  process.stdout.write(`${JSON.stringify({ eventsPerSec: Math.round(r.eventsPerSec), forwarded: r.forwarded, procCpuUsPerEvent: Math.round(r.edgeCpuUsPerEvent * 10) / 10, unscored: r.unscored, rows, top, start, end: machine() })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
