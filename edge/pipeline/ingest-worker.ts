// An ingest worker (pipeline/ingest-pool.ts): runs the pure per-message work for the devices the
// pool routes to it, in the order their messages came, and answers each batch in one message.
import { parentPort, workerData } from 'node:worker_threads';
import type { DeviceEntry } from '../auth/registry.ts';
import { EdgeTimeStandIn } from './edge-time.ts';
import { ingest, type IngestContext } from './ingest.ts';
import { createPrivacy } from './privacy.ts';
import type { IngestBatch, IngestDone, IngestReply, IngestWorkerData } from './pool-protocol.ts';

const data = workerData as IngestWorkerData;
const entries = new Map<string, DeviceEntry>();
for (const d of data.devices) entries.set(d.device.id, { device: d.device, district: d.district, prefix: '', username: '' });
const ctx: IngestContext = {
  edge: data.edge,
  timezone: data.timezone,
  maxPayloadBytes: data.maxPayloadBytes,
  maxSkewMs: data.maxSkewMs,
  privacy: createPrivacy(data.privacyKey),
  // This thread's devices continue after the stand-ins a thread before it handed back.
  standIn: new EdgeTimeStandIn(data.standIns),
  // Device messages get content ids (ids.ts); edge-origin events are made on the main thread.
  mintId: () => {
    throw new Error('edge-origin ids are minted on the main thread');
  },
};

const port = parentPort!;
port.on('message', (m: IngestBatch) => {
  const all = Buffer.from(m.buf);
  const results: IngestReply[] = new Array(m.items.length);
  for (let i = 0; i < m.items.length; i++) {
    const [id, channel, start, end, receivedAt] = m.items[i]!;
    const entry = entries.get(id);
    if (entry === undefined) {
      results[i] = { ok: false, code: 'SS_EDGE_INGEST_WORKER', reason: 'device unknown to the ingest worker' };
      continue;
    }
    // topic '' : dead letters are built on the main thread, which has the topic.
    const r = ingest(ctx, entry, channel, '', all.subarray(start, end), receivedAt);
    if (r.ok) {
      const bodies = new Array<string>(r.events.length);
      for (let j = 0; j < r.events.length; j++) bodies[j] = JSON.stringify(r.events[j]);
      results[i] = { ok: true, bodies };
    } else {
      results[i] = { ok: false, code: r.deadLetter.code, reason: r.deadLetter.reason };
    }
  }
  const done: IngestDone = { t: 'done', id: m.id, results };
  port.postMessage(done);
});
// Loaded: from now on the pool's stall guard counts (a cold start is not a stuck thread).
port.postMessage({ t: 'ready' });
