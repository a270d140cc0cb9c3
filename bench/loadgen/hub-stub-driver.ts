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
    const reply = nextMessage<{ events: number }>(this.child);
    this.child.send({ type: 'count' });
    return (await reply).events;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 5000);
  }
}
