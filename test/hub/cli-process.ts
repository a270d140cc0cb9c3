// Run `safestar …` as a real process (bin/safestar.js through tsx): what an operator types.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/safestar.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One command to completion. */
export function safestar(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export interface HubProcess {
  proc: ChildProcess;
  mqttUrl: string;
  apiUrl: string;
  /** Everything the hub wrote so far (pino JSON lines on stdout). */
  output(): string;
  stop(): Promise<void>;
}

/** `safestar hub …` until it prints its addresses ("hub: mqtt URL  api URL …"). */
export function startHubProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HubProcess> {
  const proc = spawn(process.execPath, [BIN, 'hub', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`hub did not start in 30 s: ${out.slice(-2000)} ${err.slice(-2000)}`));
    }, 30_000);
    const onData = (): void => {
      const m = /hub: mqtt (\S+)\s+api (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      resolve({ proc, mqttUrl: m[1]!, apiUrl: m[2]!, output: () => out + err, stop });
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}
