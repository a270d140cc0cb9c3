import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const STUB = fileURLToPath(new URL('./hub-stub.ts', import.meta.url));

/** The hub stand-in process: its URL and how many events it has received in edge batches. */
export class HubStub {
  private constructor(private readonly child: ChildProcess, readonly url: string) {}

  static async start(): Promise<HubStub> {
    const child = fork(STUB, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('exit', (c) => reject(new Error(`SS_BENCH_HUBSTUB: exited (${c})`)));
    });
    return new HubStub(child, `mqtt://127.0.0.1:${port}`);
  }

  events(): Promise<number> {
    return new Promise((resolve) => {
      this.child.once('message', (m: { events: number }) => resolve(m.events));
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
