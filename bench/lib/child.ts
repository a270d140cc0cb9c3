import { fork, type ChildProcess } from 'node:child_process';

/** Fork a TypeScript helper process of the benchmark (tsx loader, IPC, output inherited). */
export function forkTs(file: string, args: string[] = []): ChildProcess {
  return fork(file, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The child's next IPC message; rejects if it exits first. */
export function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`SS_BENCH_CHILD: helper process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (m: T) => {
      child.off('exit', onExit);
      resolve(m);
    });
  });
}

/** Ask a helper process to stop (IPC `stop`), and kill it if it has not exited in time. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ type: 'stop' });
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
