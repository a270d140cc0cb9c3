import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EDGE_PROCESS_ENV, missingNodeFlags } from '../../bin/edge-env.js';

const BIN = fileURLToPath(new URL('../../bin/safestar.js', import.meta.url));

export interface EdgeProcess {
  brokerUrl: string;
  apiUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The real `safestar edge --config FILE` in its own process, as a site runs it: with the
 * environment and node flags of deploy/systemd/safestar-edge.service (EDGE_PROCESS_ENV and
 * EDGE_NODE_FLAGS, which bin/safestar.js gives itself on Node >= 22.15 and only the service can
 * give on Node 20); a variable already set here, or in `env`, wins, and so does a flag of the
 * same name in `nodeArgs`.
 */
export async function spawnEdge(configFile: string, env: NodeJS.ProcessEnv = {}, args: string[] = [], bin = BIN, nodeArgs: string[] = []): Promise<EdgeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, ...missingNodeFlags(nodeArgs), bin, 'edge', '--config', configFile, ...args], {
    env: { ...EDGE_PROCESS_ENV, ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ brokerUrl: string; apiUrl: string }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('SS_BENCH_EDGE_START: the edge did not print its ready line in 60 s')), 60_000);
    child.once('exit', (c) => reject(new Error(`SS_BENCH_EDGE_START: edge exited (${c})`)));
    lines.on('line', (l) => {
      try {
        const m = JSON.parse(l) as { ready?: boolean; brokerUrl: string; apiUrl: string };
        if (m.ready) {
          clearTimeout(t);
          resolve(m);
        }
      } catch {
        /* not our line */
      }
    });
  });
  return {
    ...ready,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
