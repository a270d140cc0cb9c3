import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SINK = fileURLToPath(new URL('./sink.ts', import.meta.url));

/** A counting subscriber in its own process. */
export class Sink {
  private constructor(private readonly child: ChildProcess) {}

  static async start(url: string, filter: string, qos: 0 | 1 = 1): Promise<Sink> {
    const child = fork(SINK, [url, filter, String(qos)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const m = await new Promise<{ type: string; message?: string }>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (c) => reject(new Error(`SS_BENCH_SINK: exited (${c})`)));
    });
    if (m.type !== 'ready') throw new Error(`SS_BENCH_SINK: ${m.message ?? 'not ready'}`);
    return new Sink(child);
  }

  count(): Promise<number> {
    return new Promise((resolve) => {
      this.child.once('message', (m: { received: number }) => resolve(m.received));
      this.child.send({ type: 'count' });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'stop' });
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
