// What grows in a soaking edge, sampled while it runs (issue 14, memory): one real `safestar edge`
// with the soak suite's load, RSS split by /proc (anonymous vs file), the outbox files and the
// scorer's feature-memory snapshot row.
//   node --import tsx bench/edge-memory-probe.ts [minutes] [devices] [bin] [--node-arg ...]
import Database from 'better-sqlite3';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LoadGenerator } from './loadgen/driver.ts';
import { HubStub } from './loadgen/hub-stub-driver.ts';
import { spawnEdge } from './lib/edge-process.ts';
import { benchSite } from './suites/fixtures.ts';

const [minutesArg, devicesArg, binArg, ...rest] = process.argv.slice(2);
const minutes = Number(minutesArg ?? 3);
const devices = Number(devicesArg ?? 2000);
const nodeArgs = rest.filter((a) => a !== '--node-arg');
const dir = mkdtempSync(join(tmpdir(), 'safestar-memprobe-'));

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(VmRSS|RssAnon|RssFile|VmHWM):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]!] = Math.round(Number(m[2]) / 1024);
  }
  return out;
}

/** utime + stime of a process (ms), from /proc (clock ticks of 10 ms). */
function cpuMs(p: number): number {
  const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const size = (f: string): number => (existsSync(f) ? Math.round(statSync(f).size / 2 ** 20) : 0);

const site = benchSite({ devices, edgeId: 'edge-probe', hubUrl: 'mqtt://127.0.0.1:1', dataDir: dir, busyEvery: 50 });
const clients = site.clients.map((c) => (c.ratePerSecond === undefined ? { ...c, ratePerSecond: 5 } : c));
const stub = await HubStub.start();
const file = join(dir, 'site.json');
writeFileSync(file, JSON.stringify({ ...site.config, dataDir: join(dir, 'edge'), uplink: { ...site.config.uplink, url: stub.url } }));
const edge = await spawnEdge(file, {}, [], binArg && binArg !== '-' ? binArg : undefined, nodeArgs);
const pid = edge.child.pid!;
// With --trace-gc the edge prints each GC; the last mark-compact gives V8's heap: used (committed).
// Each isolate's lines start `[pid:0xISOLATE]`; the main thread's is the big one (tsx's loader
// thread has its own small heap), so the largest committed heap is reported. PROBE_STDOUT=file
// keeps every line (e.g. with --trace-gc-verbose, the per-space split).
let v8heap = '';
const heaps = new Map<string, { used: number; committed: number }>();
const keep = process.env.PROBE_STDOUT;
if (keep) writeFileSync(keep, '');
createInterface({ input: edge.child.stdout! }).on('line', (l) => {
  if (keep) appendFileSync(keep, `${l}\n`);
  const m = /^\[\d+:(0x[0-9a-f]+)\].*Mark-Compact[^\d]*[\d.]+ \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/.exec(l);
  if (!m) return;
  heaps.set(m[1]!, { used: Number(m[3]), committed: Number(m[4]) });
  const big = [...heaps.values()].sort((a, b) => b.committed - a.committed)[0]!;
  v8heap = `${big.used} (${big.committed})`;
});

/** Resident MiB of the process's mappings grouped: V8 heap-sized anonymous blocks, glibc arenas, the rest. */
function smaps(p: number): Record<string, number> {
  const out: Record<string, number> = {};
  let name = '';
  let sizeKb = 0;
  for (const line of readFileSync(`/proc/${p}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      sizeKb = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1024;
      const path = head[3] ?? '';
      name = path.startsWith('/') ? path.split('/').pop()! : path || `anon ${sizeKb >= 65536 ? '>=64M' : sizeKb >= 1024 ? '1-64M' : '<1M'}`;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[name] = (out[name] ?? 0) + Number(rss[1]) / 1024;
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v)]));
}
const durationMs = minutes * 60_000;
const { gen } = await LoadGenerator.connect({ url: edge.brokerUrl, clients, qos: 1, window: 16, durationMs });
const t0 = Date.now();
const db = join(dir, 'edge', 'outbox.sqlite');
const sample = (): void => {
  let snap = 0;
  try {
    const r = new Database(db, { readonly: true, fileMustExist: true });
    // The snapshot's pieces (edge schema 5), or the one row an older build wrote.
    const pieces = r.prepare("SELECT name FROM sqlite_master WHERE name = 'scorer_state_pieces'").get() ? (r.prepare('SELECT sum(length(body)) AS n FROM scorer_state_pieces').get() as { n: number | null }).n ?? 0 : 0;
    snap = pieces || ((r.prepare('SELECT length(body) AS n FROM scorer_state').get() as { n: number } | undefined)?.n ?? 0);
    r.close();
  } catch {
    /* not written yet */
  }
  const s = status(pid);
  console.log(JSON.stringify({ min: Math.round((Date.now() - t0) / 600) / 100, ...s, dbMiB: size(db), walMiB: size(`${db}-wal`), snapshotMiB: Math.round((snap / 2 ** 20) * 10) / 10, ...(v8heap ? { v8heap } : {}) }));
};
const timer = setInterval(sample, 15_000);
const cpu0 = cpuMs(pid);
const res = await gen.run();
const cpu = cpuMs(pid) - cpu0;
clearInterval(timer);
sample();
console.log(JSON.stringify(smaps(pid)));
console.log(JSON.stringify({ acked: res.acked, eventsPerSec: Math.round(res.acked / (res.elapsedMs / 1000)), devices: clients.length, edgeCpuUsPerEvent: Math.round((cpu * 1000) / res.acked) }));
await gen.stop();
await edge.stop();
await stub.stop();
rmSync(dir, { recursive: true, force: true });
