import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox, type OutboxRow } from '../../edge/outbox/outbox.ts';
import { Uplink } from '../../edge/uplink/uplink.ts';
import { edgeCompound, fleetEvent, type FleetPlan } from './fleet-events.ts';

/**
 * A fleet of lightweight edges in one child process, for the cluster proof: each edge has the
 * real durable outbox (SQLite) and the real uplink (mqtt.js, QoS 1, deletes rows only on PUBACK)
 * to one of the ingress URLs, and writes canonical events at its share of the rate, the way the
 * edge pipeline's last stage does. Rows removed on PUBACK are the PUBACKed ids: appended to
 * `<dir>/acked.txt`. Prints JSON lines: {"ready"}, {"progress"} each second, {"done", …} at the end.
 *
 * argv[2]: JSON { ingress: string[], edges, rate (events/s, all edges), seconds, dir, devices, t0, drainTimeoutMs, secrets }.
 * Event s of edge n is fleetEvent(plan, n, s): device times follow the plan's pace from t0.
 */
interface Args {
  ingress: string[];
  edges: number;
  rate: number;
  seconds: number;
  dir: string;
  /** Devices per edge. */
  devices: number;
  t0: number;
  drainTimeoutMs: number;
  /** Each edge's secret (issued in the cluster's PostgreSQL): the ingresses refuse anonymous edges. */
  secrets: Record<string, string>;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const ackedFile = join(a.dir, 'acked.txt');
writeFileSync(ackedFile, '');

class TrackedOutbox extends Outbox {
  acked: string[] = [];
  override remove(rows: readonly Pick<OutboxRow, 'seq' | 'life'>[]): number {
    for (const r of rows as readonly OutboxRow[]) this.acked.push((JSON.parse(r.body) as { id: string }).id);
    return super.remove(rows);
  }
}

interface Edge {
  n: number;
  id: string;
  compound: string;
  outbox: TrackedOutbox;
  uplink: Uplink;
  seq: number;
  owed: number;
}

const fleet: Edge[] = [];
for (let n = 1; n <= a.edges; n++) {
  const id = `edge-${n}`;
  const outbox = new TrackedOutbox(join(a.dir, `${id}.db`), { maxEvents: 5_000_000 });
  const uplink = new Uplink({ url: a.ingress[n % a.ingress.length]!, edgeId: id, username: id, password: a.secrets[id], batchSize: 200, maxInflightBatches: 4, outbox, devices: a.devices, clock: Date.now, reconnectPeriodMs: 500, ackTimeoutMs: 20_000 });
  fleet.push({ n, id, compound: edgeCompound(n), outbox, uplink, seq: 0, owed: 0 });
}
process.stdout.write(`${JSON.stringify({ ready: true, edges: fleet.length })}\n`);

const TICK_MS = 100;
const t0 = performance.now();
let written = 0;
let last = t0;
const flushAcked = (): void => {
  const lines: string[] = [];
  for (const e of fleet) if (e.outbox.acked.length) lines.push(...e.outbox.acked.splice(0));
  if (lines.length) appendFileSync(ackedFile, `${lines.join('\n')}\n`);
};

const plan: FleetPlan = { t0: a.t0, perEdgeRate: a.rate / a.edges, devices: a.devices };

async function generate(): Promise<void> {
  const perEdgeMs = a.rate / a.edges / 1000;
  while (performance.now() - t0 < a.seconds * 1000) {
    const now = performance.now();
    const dt = now - last;
    last = now;
    const wall = Date.now();
    await Promise.all(
      fleet.map(async (e) => {
        e.owed += perEdgeMs * dt;
        const k = Math.floor(e.owed);
        if (k === 0) return;
        e.owed -= k;
        const rows = [];
        for (let i = 0; i < k; i++) {
          const ev = fleetEvent(plan, e.n, ++e.seq);
          rows.push({ life: false, at: wall, body: JSON.stringify(ev) });
        }
        e.outbox.write(rows, []);
        written += k;
        await e.outbox.sync();
        e.uplink.pump();
      }),
    );
    flushAcked();
    const spent = performance.now() - now;
    await new Promise((r) => setTimeout(r, Math.max(0, TICK_MS - spent)));
  }
}

const progress = setInterval(() => {
  process.stdout.write(`${JSON.stringify({ progress: true, t: Math.round(performance.now() - t0), written, depth: fleet.reduce((s, e) => s + e.outbox.depth(), 0) })}\n`);
}, 1000);

await generate();
const genMs = performance.now() - t0;
const deadline = performance.now() + a.drainTimeoutMs;
while (fleet.some((e) => e.outbox.depth() > 0) && performance.now() < deadline) {
  for (const e of fleet) e.uplink.pump();
  flushAcked();
  await new Promise((r) => setTimeout(r, 200));
}
flushAcked();
clearInterval(progress);
const depths = fleet.map((e) => e.outbox.depth());
const perEdge = Object.fromEntries(fleet.map((e) => [e.id, e.seq]));
for (const e of fleet) await e.uplink.close();
for (const e of fleet) e.outbox.close();
process.stdout.write(`${JSON.stringify({ done: true, written, genMs: Math.round(genMs), depth: depths.reduce((s, x) => s + x, 0), undrained: depths.filter((d) => d > 0).length, perEdge })}\n`);
process.exit(0);
