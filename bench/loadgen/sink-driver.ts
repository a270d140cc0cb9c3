import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkTs, nextMessage, stopChild } from '../lib/child.ts';

const SINK = fileURLToPath(new URL('./sink.ts', import.meta.url));

/** A counting subscriber in its own process. */
export class Sink {
  private constructor(private readonly child: ChildProcess) {}

  static async start(url: string, filter: string, qos: 0 | 1 = 1): Promise<Sink> {
    const child = forkTs(SINK, [url, filter, String(qos)]);
    const m = await nextMessage<{ type: string; message?: string }>(child);
    if (m.type !== 'ready') throw new Error(`SS_BENCH_SINK: ${m.message ?? 'not ready'}`);
    return new Sink(child);
  }

  async count(): Promise<number> {
    const reply = nextMessage<{ received: number }>(this.child);
    this.child.send({ type: 'count' });
    return (await reply).received;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 5000);
  }
}
