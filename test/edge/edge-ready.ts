import type { ChildProcess } from 'node:child_process';

/** Resolves on a spawned `safestar edge`'s ready line (stdout) with its broker URL and its log so far (stderr). */
export function ready(proc: ChildProcess): Promise<{ brokerUrl: string; log: () => string }> {
  let out = '';
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`edge not ready in 50 s: ${err}`)), 50_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.includes('"ready":true'));
      if (!line) return;
      clearTimeout(timer);
      resolve({ brokerUrl: (JSON.parse(line) as { brokerUrl: string }).brokerUrl, log: () => err });
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`edge exited (${code ?? signal}) before ready: ${err}`));
    });
  });
}
