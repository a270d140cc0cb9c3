import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateCity } from '../../simulators/city.ts';
import type { City, CityDevice } from '../../protocol/city.ts';
import { LoadGenerator } from '../loadgen/driver.ts';
import { HubStub } from '../loadgen/hub-stub-driver.ts';
import { spawnEdge } from '../lib/edge-process.ts';
import { rssMiB } from '../lib/rss.ts';
import { summarize } from '../lib/stats.ts';
import type { Row } from '../lib/report.ts';
import { benchSite } from './fixtures.ts';
import { benchHubMemory } from '../hub-memory.ts';

const BIN = fileURLToPath(new URL('../../bin/safestar.js', import.meta.url));

/** A 2,285-compound city grown to `devices` registered devices (extra cameras, as big sites have). */
export function bigCity(devices: number, seed = 3): City {
  const city = generateCity({ compounds: 2285, seed });
  let total = city.compounds.reduce((n, c) => n + c.devices.length, 0);
  for (let i = 0; total < devices; i++) {
    const c = city.compounds[i % city.compounds.length]!;
    const extra: CityDevice = { id: `${c.id}-cam-x${Math.floor(i / city.compounds.length)}`, kind: 'camera', profile: 'hik-camera-alert', heartbeatSeconds: 60 };
    c.devices.push(extra);
    total++;
  }
  return city;
}

/** RSS of the real `safestar hub` process once it has registered the city. */
export async function hubRss(devices: number): Promise<{ rssMiB: number; devices: number; compounds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-mem-'));
  const city = bigCity(devices);
  const file = join(dir, 'city.json');
  writeFileSync(file, JSON.stringify(city));
  // The hub refuses to start without edge credentials (issue 12): issue one, as an operator would.
  const issued = spawnSync(process.execPath, [BIN, 'hub', 'edges', 'add', 'bench-edge', '--compounds', city.compounds[0]!.id, '--data', join(dir, 'hub')], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (issued.status !== 0) throw new Error(`SS_BENCH_HUB_START: safestar hub edges add failed: ${String(issued.stderr).slice(0, 300)}`);
  const child = spawn(process.execPath, [BIN, 'hub', '--data', join(dir, 'hub'), '--mqtt-port', '0', '--api-port', '0', '--city', file], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const apiUrl = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('SS_BENCH_HUB_START: no ready line in 120 s')), 120_000);
      child.once('exit', (c) => reject(new Error(`SS_BENCH_HUB_START: hub exited (${c})`)));
      createInterface({ input: child.stdout! }).on('line', (l) => {
        const m = /api (http:\/\/\S+)/.exec(l);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    // Touch the API once (the compound list is what a map page loads), then let it settle.
    await (await fetch(`${apiUrl}/api/compounds`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 3000));
    return { rssMiB: rssMiB(child.pid), devices: city.compounds.reduce((n, c) => n + c.devices.length, 0), compounds: city.compounds.length };
  } finally {
    // A hub that already exited fires no second 'exit': waiting for one would hang the bench.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS of the real `safestar edge` process with `devices` devices connected and publishing. */
export async function edgeRss(devices: number, durationMs = 10_000): Promise<{ rssMiB: number; acked: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'safestar-bench-mem-'));
  const stub = await HubStub.start();
  const site = benchSite({ devices, edgeId: 'edge-mem', hubUrl: stub.url, dataDir: join(dir, 'edge') });
  const file = join(dir, 'site.json');
  writeFileSync(file, JSON.stringify(site.config));
  const edge = await spawnEdge(file);
  try {
    const { gen } = await LoadGenerator.connect({ url: edge.brokerUrl, clients: site.clients, qos: 1, window: 2, durationMs, ratePerSecond: 2000 });
    const res = await gen.run();
    const rss = rssMiB(edge.child.pid);
    await gen.stop();
    return { rssMiB: rss, acked: res.acked };
  } finally {
    await edge.stop();
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchMemory(o: { hubDevices: number; edgeDevices: number; loadSeconds?: number; loadRate?: number; say: (s: string) => void }): Promise<Row[]> {
  o.say(`memory: hub process with a 2,285-compound city and ${o.hubDevices.toLocaleString('en-US')} devices…`);
  const hub = await hubRss(o.hubDevices);
  o.say(`memory: edge process with ${o.edgeDevices} devices connected…`);
  const edge = await edgeRss(o.edgeDevices);
  const seconds = o.loadSeconds ?? 60;
  const rate = o.loadRate ?? 5000;
  o.say(`memory: product hub with a year of cases and 1,000 edges at ${rate} events/s for ${seconds} s…`);
  const load = await benchHubMemory({ durationMs: seconds * 1000, ratePerSecond: rate, edges: 1000, caseYears: 1, onProgress: o.say });
  return [
    {
      name: `hub RSS under load (product engine, ${load.compounds} compounds, ${load.cases.toLocaleString('en-US')} cases = 1 year, ${load.edges} edges, ${rate} ev/s)`,
      unit: 'MiB', value: summarize([load.rssMaxMiB]), target: '< 1,024 MiB, flat', met: load.rssMaxMiB < 1024 && load.rssSlopeMiBPerMin < 5,
      note: `start ${load.rssStartMiB.toFixed(0)} MiB, slope ${load.rssSlopeMiBPerMin.toFixed(1)} MiB/min over the second half, ${load.events} events${load.gcForced ? ', sampled after a forced GC' : ''}`,
    },
    { name: `hub RSS (${hub.compounds} compounds, ${hub.devices.toLocaleString('en-US')} devices)`, unit: 'MiB', value: summarize([hub.rssMiB]), target: '< 1,024 MiB', met: hub.rssMiB < 1024 },
    { name: `edge RSS (${o.edgeDevices} devices connected, 2k events/s)`, unit: 'MiB', value: summarize([edge.rssMiB]), target: '< 300 MiB', met: edge.rssMiB < 300 },
  ];
}
