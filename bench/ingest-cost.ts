// Per-message CPU of the edge's pure ingest path (issue 14): `node --import tsx bench/ingest-cost.ts [rounds]`
// decodes the edge benchmark's vendor payloads (100 devices, bench/suites/fixtures.ts) with the
// real codecs, privacy stage and validation (`ingest`), and, on the events that gives, times
// the Event v1 check (`checkEvent`: fast accept, then TypeBox) against the compiled TypeBox check
// alone, the event id digest against the createHash form it replaced, and JSON.stringify.
// process.cpuUsage per call, each figure the rounds' values. JSON on the last line.
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Compile } from 'typebox/compile';
import { DeviceRegistry } from '../edge/auth/registry.ts';
import { validateSiteConfig } from '../edge/config.ts';
import { messageEventId } from '../edge/pipeline/ids.ts';
import { ingest, type IngestContext } from '../edge/pipeline/ingest.ts';
import { EdgeTimeStandIn } from '../edge/pipeline/edge-time.ts';
import { createPrivacy } from '../edge/pipeline/privacy.ts';
import { checkEvent, EventSchema, type Event } from '../protocol/event.ts';
import { machine } from './lib/report.ts';
import { cpuMicrosPer } from './lib/stats.ts';
import { benchSite } from './suites/fixtures.ts';

const rounds = Number(process.argv[2] ?? '3');
const site = benchSite({ devices: 100, edgeId: 'edge-ab', hubUrl: 'mqtt://127.0.0.1:1', dataDir: tmpdir() });
const cfg = validateSiteConfig(site.config);
const reg = new DeviceRegistry(cfg);
const ctx: IngestContext = { edge: 'edge-ab', timezone: cfg.timezone, maxPayloadBytes: 65_536, mintId: () => 'edge-ab.minted', privacy: createPrivacy('k'.repeat(32)), maxSkewMs: 900_000, standIn: new EdgeTimeStandIn() };
const msgs = site.clients.flatMap((c) => {
  const entry = reg.get(c.clientId);
  return entry ? c.payloads.map((p) => ({ entry, topic: c.topic, payload: Buffer.from(p) })) : [];
});
const now = Date.now();
const events: Event[] = [];
for (const m of msgs) {
  const r = ingest(ctx, m.entry, 'events', m.topic, m.payload, now);
  if (r.ok) events.push(...r.events);
}
const typebox = Compile(EventSchema);
const before = (e: Event, payload: Buffer): string => {
  const h = createHash('sha256');
  h.update(`v1\0p\0${e.device}\0${e.deviceTime}\0${e.type}\0${0}\0`);
  h.update(payload);
  return h.digest('base64url');
};
const payloads = events.map((_, i) => msgs[i % msgs.length]!.payload);

/** CPU µs per item of `f` (which does `n` items), over 20 calls after a warm one, to 0.01 µs. */
function time(n: number, f: () => void): number {
  f(); // warm
  const { us } = cpuMicrosPer(() => {
    for (let r = 0; r < 20; r++) f();
    return 20 * n;
  });
  return Math.round(us * 100) / 100;
}
const out: Record<string, number[]> = { ingest: [], checkEvent: [], typeboxCheck: [], eventId: [], eventIdCreateHash: [], stringify: [] };
let sink = 0;
for (let r = 0; r < rounds; r++) {
  out['ingest']!.push(time(msgs.length, () => { for (const m of msgs) sink += ingest(ctx, m.entry, 'events', m.topic, m.payload, now).ok ? 1 : 0; }));
  out['checkEvent']!.push(time(events.length, () => { for (const e of events) sink += checkEvent(e).ok ? 1 : 0; }));
  out['typeboxCheck']!.push(time(events.length, () => { for (const e of events) sink += typebox.Check(e) ? 1 : 0; }));
  out['eventId']!.push(time(events.length, () => { for (let i = 0; i < events.length; i++) sink += messageEventId('edge-ab', events[i]!.device, undefined, events[i]!, payloads[i]!, 0).length; }));
  out['eventIdCreateHash']!.push(time(events.length, () => { for (let i = 0; i < events.length; i++) sink += before(events[i]!, payloads[i]!).length; }));
  out['stringify']!.push(time(events.length, () => { for (const e of events) sink += JSON.stringify(e).length; }));
}
process.stdout.write(`${msgs.length} messages, ${events.length} events, CPU µs per call:\n`);
for (const [k, v] of Object.entries(out)) process.stdout.write(`  ${k.padEnd(18)} ${v.join(' / ')}\n`);
process.stdout.write(`${JSON.stringify({ messages: msgs.length, events: events.length, usPerCall: out, sink: sink > 0, machine: machine() })}\n`);
