// How a long-running `safestar edge` is started (issue 14, memory). Plain JavaScript: it runs
// before tsx's loader is registered, so the process can still be replaced before any thread,
// child process or socket of the CLI exists.
import v8 from 'node:v8';

/**
 * glibc gives each thread that calls malloc an arena of its own (up to 8 per core) and keeps
 * what it frees there: at 2,000 devices the edge's per-thread arenas held 37-44 MiB (the libuv
 * pool's scrypt checks alone leave ~4 MiB per thread), 13 MiB with 2 arenas, for the same CPU
 * per event (edge/README.md "Memory"). glibc reads the setting only when the process starts.
 */
export const EDGE_PROCESS_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2' });

/**
 * What bin/safestar.js does before anything else: 'execve' when the command is `edge`, the
 * platform is Linux, a variable of EDGE_PROCESS_ENV is unset (one set, to any value, is the
 * operator's choice and is kept) and this Node can replace its own image (`process.execve`,
 * Node >= 22.15 / 23.11): the same pid runs on with the variable set, so signals, exit codes,
 * stdio and `kill -9 <pid>` are those of the edge itself, with no wrapper between. Without
 * `process.execve` (Node 20) 'unsupported': the edge runs as it is and says so in its log
 * (SS_EDGE_MALLOC_ARENAS); the service environment has to set it (deploy/systemd/).
 * @param {readonly string[]} args the CLI arguments (process.argv.slice(2))
 * @param {Record<string, string | undefined>} env
 * @param {{ platform: string, canExecve: boolean }} host
 * @returns {{ action: 'none' | 'unsupported' } | { action: 'execve', env: Record<string, string> }}
 */
export function edgeStartPlan(args, env, host) {
  if (args[0] !== 'edge' || host.platform !== 'linux') return { action: 'none' };
  const missing = Object.entries(EDGE_PROCESS_ENV).filter(([k]) => env[k] === undefined);
  if (missing.length === 0) return { action: 'none' };
  if (!host.canExecve) return { action: 'unsupported' };
  /** @type {Record<string, string>} */
  const next = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) next[k] = v;
  for (const [k, v] of missing) next[k] = v;
  return { action: 'execve', env: next };
}

/**
 * Replace this process with the same command and the edge's environment when the plan says so.
 * Returns only when the process was not replaced (not the edge, already set, Node 20, or
 * execve failed: then the edge runs as it is, which only costs memory).
 */
export function startAsEdge() {
  const execve = process.execve;
  const plan = edgeStartPlan(process.argv.slice(2), process.env, { platform: process.platform, canExecve: typeof execve === 'function' });
  if (plan.action === 'execve' && execve !== undefined) {
    try {
      // execArgv keeps node's own flags (--expose-gc, --trace-gc, --cpu-prof ...); NODE_OPTIONS rides in env.
      execve.call(process, process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], plan.env);
    } catch {
      /* the edge runs without it; it logs SS_EDGE_MALLOC_ARENAS at start */
    }
  }
  if (process.argv[2] === 'edge' && !youngGenerationSized(process.execArgv, process.env.NODE_OPTIONS)) {
    // Hold V8's new space at its 2 MiB start while the modules load: it cannot be shrunk later,
    // and edge/v8-heap.ts lets it grow to the edge's cap once the edge is up.
    v8.setFlagsFromString('--semi-space-growth-factor=1');
  }
}

/**
 * Whether node's own flags size the young generation (then the operator's choice stands); the
 * same test as youngGenerationSetByOperator in edge/v8-heap.ts.
 * @param {readonly string[]} execArgv
 * @param {string | undefined} nodeOptions
 */
export function youngGenerationSized(execArgv, nodeOptions) {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((a) => /^--max[-_]semi[-_]space[-_]size\b/.test(a) || /^--semi[-_]space[-_]growth[-_]factor\b/.test(a));
}
