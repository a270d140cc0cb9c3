import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkTs, nextMessage, stopChild } from '../lib/child.ts';

const STUB = fileURLToPath(new URL('./hub-stub.ts', import.meta.url));

/** The hub stand-in process: its URL and how many events it has received in edge batches. */
export class HubStub {
  private constructor(private readonly child: ChildProcess, readonly url: string) {}

  static async start(): Promise<HubStub> {
    const child = forkTs(STUB);
    const { port } = await nextMessage<{ port: number }>(child);
    return new HubStub(child, `mqtt://127.0.0.1:${port}`);
  }

  async events(): Promise<number> {
    return (await this.counts()).events;
  }

  /** Events received in edge batches, and how many of them carried no anomaly score. */
  async counts(): Promise<{ events: number; batches: number; unscored: number; unscoredBy: Record<string, number> }> {
    const reply = nextMessage<{ events: number; batches: number; unscored: number; unscoredBy: Record<string, number> }>(this.child);
    this.child.send({ type: 'count' });
    return reply;
  }

  /** Write the ids of the device events received so far to `file`, one a line; resolves with how many. */
  async idsTo(file: string): Promise<number> {
    const reply = nextMessage<{ n: number }>(this.child);
    this.child.send({ type: 'ids', file });
    return (await reply).n;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 5000);
  }
}
