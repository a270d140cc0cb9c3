// The hub's commit thread: owns every write to ingest.db (dedupe, queue, dead letters, acks,
// pruning), so the fsync of each group commit waits here and not on the event loop that serves
// the edges. Messages are handled one at a time, in arrival order: commits keep their order.
import { parentPort, workerData } from 'node:worker_threads';
import { IngestDb } from '../store/ingestDb.ts';
import type { FromCommitThread, ToCommitThread } from './commit-protocol.ts';

const port = parentPort!;
const db = new IngestDb((workerData as { file: string }).file);
const reply = (m: FromCommitThread): void => port.postMessage(m);

port.on('message', (m: ToCommitThread) => {
  try {
    switch (m.t) {
      case 'commit': {
        const chunks: Array<[number, number]> = [];
        const results = db.commitLines(m.batches, m.fields, m.at, chunks);
        return reply({ t: 'done', id: m.id, results, chunks });
      }
      case 'deadLetters':
        db.addDeadLetters(m.items, m.at);
        return reply({ t: 'done', id: m.id });
      case 'ack':
        db.deleteRanges(m.ranges);
        return reply({ t: 'done', id: m.id });
      case 'prune':
        db.pruneSeen(m.seenBefore);
        db.pruneDeadLetters(m.keepDeadLetters);
        return reply({ t: 'done', id: m.id });
      case 'close':
        db.close();
        reply({ t: 'done', id: m.id });
        return port.close();
    }
  } catch (e) {
    reply({ t: 'failed', id: m.id, message: (e as Error).message });
  }
});
reply({ t: 'ready' });
