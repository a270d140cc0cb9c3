// Where the edge's CPU goes by thread, per `pipeline.workers` setting (issue 14, "what each core
// buys"): `node --import tsx bench/threads-edge.ts [workers list, default 0,1,2] [ms] [devices]`.
// Runs the real `safestar edge` with the edge benchmark's load once per setting and prints, per
// forwarded event, the CPU of each thread of the edge process over the timed window
// (/proc/<pid>/task/*/stat, 10-ms ticks), the main (socket) thread apart, plus the ingest
// batches' mean size from /health. One run per setting: for throughput use bench/ab-workers.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoadGenerator } from './loadgen/driver.ts';
import { HubStub } from './loadgen/hub-stub-driver.ts';
import { spawnEdge } from './lib/edge-process.ts';
import { machine } from './lib/report.ts';
import { benchSite } from './suites/fixtures.ts';

const [listArg = '0,1,2', msArg = '5000', devicesArg = '100'] = process.argv.slice(2);
const site = benchSite({ devices: Number(devicesArg), edgeId: 'edge-threads', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });

/** CPU ms of every thread of `pid`, by thread id. */
function threadsCpuMs(pid: number): Map<string, number> {
  return new Map(readdirSync(`/proc/${pid}/task`).map((t) => {
    const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return [t, (Number(f[11]) + Number(f[12])) * 10] as const; // utime + stime, 100 Hz ticks
  }));
}

const out = [];
for (const workers of listArg.split(',').map(Number)) {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-threads-'));
  const stub = await HubStub.start();
  const file = join(dir, 'site.json');
  writeFileSync(file, JSON.stringify({ ...site.config, pipeline: { workers }, uplink: { ...site.config.uplink, url: stub.url }, dataDir: join(dir, 'edge') }));
  const edge = await spawnEdge(file, {}, []);
  try {
    const pid = edge.child.pid!;
    const { gen } = await LoadGenerator.connect({ url: edge.brokerUrl, clients: site.clients, qos: 1, window: 16, durationMs: Number(msArg) });
    const before = threadsCpuMs(pid);
    const load1 = machine().load[0];
    const res = await gen.run();
    const after = threadsCpuMs(pid);
    const h = (await (await fetch(`${edge.apiUrl}/health`)).json()) as { pipeline: { batches: number }; counters: { accepted: number } };
    await gen.stop();
    const us = (t: string): number => Math.round((((after.get(t) ?? 0) - (before.get(t) ?? 0)) * 1000) / res.acked);
    const others = [...after.keys()].filter((t) => t !== String(pid)).map(us).filter((v) => v > 0).sort((a, b) => b - a);
    out.push({
      workers, load1, acked: res.acked, eventsPerSec: Math.round(res.acked / (Number(msArg) / 1000)),
      mainUsPerEvent: us(String(pid)), otherThreadsUsPerEvent: others, totalUsPerEvent: us(String(pid)) + others.reduce((a, b) => a + b, 0),
      meanBatch: h.pipeline.batches > 0 ? Math.round(h.counters.accepted / h.pipeline.batches) : 0,
    });
    process.stderr.write(`${JSON.stringify(out.at(-1))}\n`);
  } finally {
    await edge.stop();
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(`${JSON.stringify({ runs: out, machine: machine() })}\n`);
