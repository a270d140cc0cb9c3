import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromChild, LoadPlan, LoadResult } from './protocol.ts';
import { forkTs, nextMessage, stopChild } from '../lib/child.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** A load generator in a child process: connect first (not timed), then run the timed phase. */
export class LoadGenerator {
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async connect(plan: LoadPlan): Promise<{ gen: LoadGenerator; connectMs: number }> {
    const child = forkTs(CHILD);
    const gen = new LoadGenerator(child);
    child.send({ type: 'plan', plan });
    const ready = await gen.next();
    if (ready.type !== 'ready') throw new Error(`SS_BENCH_LOADGEN: ${ready.type === 'error' ? ready.message : 'unexpected reply'}`);
    return { gen, connectMs: ready.connectMs };
  }

  private next(): Promise<FromChild> {
    return nextMessage<FromChild>(this.child);
  }

  async run(): Promise<LoadResult> {
    this.child.send({ type: 'start' });
    const m = await this.next();
    if (m.type !== 'result') throw new Error(`SS_BENCH_LOADGEN: ${m.type === 'error' ? m.message : 'unexpected reply'}`);
    return m.result;
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
