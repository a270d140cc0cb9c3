// A stand-in hub broker in its own process for the edge benchmark: a bare aedes that PUBACKs
// edge batches and counts the events inside them (the work a real hub does is measured separately).
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

let events = 0;
let batches = 0;
// Events that arrived without an anomaly score: the table reports them, so scoring never skips silently.
let unscored = 0;
/** The same, by `kind/type`: says which events go unscored, not just how many. */
const unscoredBy: Record<string, number> = {};
/** Ids of the device events received (not the edge's own), in arrival order, resends included. */
const ids: string[] = [];
const broker = await Aedes.createBroker({
  published(packet, _client, done) {
    if (packet.topic.endsWith('/events') && packet.topic.startsWith('ss/v1/edge/')) {
      try {
        const batch = JSON.parse(packet.payload.toString()) as { events?: Array<{ id?: string; score?: unknown; kind?: string; type?: string; attributes?: { origin?: string } }> };
        for (const e of batch.events ?? []) {
          events++;
          if (e.attributes?.origin !== 'edge' && typeof e.id === 'string') ids.push(e.id);
          // Heartbeats (some fences send them on their events channel) and edge-made events are
          // never scored, by the scorer's policy; they are not a skip.
          if (e.score === undefined && e.attributes?.origin !== 'edge' && e.type !== 'heartbeat') {
            unscored++;
            const k = `${e.kind}/${e.type}`;
            unscoredBy[k] = (unscoredBy[k] ?? 0) + 1;
          }
        }
        batches++;
      } catch {
        /* counted as nothing: the benchmark then reports loss */
      }
    }
    done();
  },
});
const server = createServer((s) => {
  s.setNoDelay(true);
  broker.handle(s);
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.send?.({ type: 'ready', port: typeof a === 'object' && a ? a.port : 0 });
});
process.on('message', (m: { type: string; file?: string }) => {
  if (m.type === 'count') process.send?.({ type: 'count', events, batches, unscored, unscoredBy });
  // Written to a file, not sent: a soak's ids are tens of MiB.
  if (m.type === 'ids' && m.file) {
    writeFileSync(m.file, ids.join('\n'));
    process.send?.({ type: 'ids', n: ids.length });
  }
  if (m.type === 'stop') broker.close(() => server.close(() => process.exit(0)));
});
