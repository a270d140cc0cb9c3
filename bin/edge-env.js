// How a long-running `safestar edge` is started (issue 14, memory). Plain JavaScript: it runs
// before tsx's loader is registered, so the process can still be replaced before any thread,
// child process or socket of the CLI exists. Every figure: edge/README.md "Memory".
// V8 heap flags (--max-semi-space-size, --heap-growing-percent) were measured too and are not
// set: they cost CPU per event under the edge benchmark's load (edge/README.md "Memory").

/**
 * glibc gives each thread that calls malloc an arena of its own (up to 8 per core) and keeps
 * what it frees there: at 2,000 devices the per-thread arenas held 37-44 MiB (the libuv pool's
 * scrypt checks alone leave ~4 MiB per thread), 8-13 MiB with 2 arenas, for the same CPU per
 * event. glibc reads the variable only when the process starts.
 */
export const EDGE_PROCESS_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2' });

/**
 * What bin/safestar.js does before anything else. 'execve' when the command is `edge`, the
 * platform is Linux, a variable of EDGE_PROCESS_ENV is unset (one set, to any value, is the
 * operator's choice and is kept) and this Node can replace its own image (`process.execve`,
 * Node >= 22.15 / 23.11): the same pid runs on with the variable set, so signals, exit codes,
 * stdio and `kill -9 <pid>` are those of the edge itself, with no wrapper between. Otherwise
 * 'none' (other commands and platforms too): nothing is missing (the service set it, or this is
 * the replaced image, so it never loops), or this Node cannot replace its image (no
 * `process.execve`, e.g. Node 20): the edge then runs as it is and says so in its log
 * (SS_EDGE_MALLOC_ARENAS); its service has to set it (deploy/systemd/safestar-edge.service).
 * @param {readonly string[]} args the CLI arguments (process.argv.slice(2))
 * @param {Record<string, string | undefined>} env
 * @param {{ platform: string, canExecve: boolean }} host
 * @returns {{ action: 'none' } | { action: 'execve', env: Record<string, string> }}
 */
export function edgeStartPlan(args, env, host) {
  if (args[0] !== 'edge' || host.platform !== 'linux' || !host.canExecve) return { action: 'none' };
  const missing = Object.entries(EDGE_PROCESS_ENV).filter(([k]) => env[k] === undefined);
  if (missing.length === 0) return { action: 'none' };
  /** @type {Record<string, string>} */
  const next = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) next[k] = v;
  for (const [k, v] of missing) next[k] = v;
  return { action: 'execve', env: next };
}

/**
 * Replace this process with the same command and the edge's environment when the plan says so. Returns only when the process was not replaced (not the edge, already set, Node
 * 20, or execve failed: then the edge runs as it is, which only costs memory).
 */
export function startAsEdge() {
  const execve = process.execve;
  const plan = edgeStartPlan(process.argv.slice(2), process.env, { platform: process.platform, canExecve: typeof execve === 'function' });
  if (plan.action !== 'execve' || execve === undefined) return;
  try {
    // execArgv keeps node's own flags (--expose-gc, --trace-gc, --cpu-prof ...); NODE_OPTIONS rides in env.
    execve.call(process, process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], plan.env);
  } catch {
    /* the edge runs without it; it logs SS_EDGE_MALLOC_ARENAS at start */
  }
}
