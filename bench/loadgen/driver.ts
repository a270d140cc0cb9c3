import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromChild, LoadPlan, LoadResult } from './protocol.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** A load generator in a child process: connect first (not timed), then run the timed phase. */
export class LoadGenerator {
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async connect(plan: LoadPlan): Promise<{ gen: LoadGenerator; connectMs: number }> {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const gen = new LoadGenerator(child);
    child.send({ type: 'plan', plan });
    const ready = await gen.next();
    if (ready.type !== 'ready') throw new Error(`SS_BENCH_LOADGEN: ${ready.type === 'error' ? ready.message : 'unexpected reply'}`);
    return { gen, connectMs: ready.connectMs };
  }

  private next(): Promise<FromChild> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`SS_BENCH_LOADGEN: child exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (m: FromChild) => {
        this.child.off('exit', onExit);
        resolve(m);
      });
    });
  }

  async run(): Promise<LoadResult> {
    this.child.send({ type: 'start' });
    const m = await this.next();
    if (m.type !== 'result') throw new Error(`SS_BENCH_LOADGEN: ${m.type === 'error' ? m.message : 'unexpected reply'}`);
    return m.result;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'stop' });
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}
