// How a long-running `safestar edge` is started (issue 14, memory). Plain JavaScript: it runs
// before tsx's loader is registered, so the process can still be replaced before any thread,
// child process or socket of the CLI exists. Every figure: edge/README.md "Memory".
// Two of V8's heap flags are set (EDGE_NODE_FLAGS): the old generation's growth bound and the
// young generation's size (edge/README.md "Memory").

/**
 * glibc gives each thread that calls malloc an arena of its own (up to 8 per core) and keeps
 * what it frees there: at 2,000 devices the per-thread arenas held 37-44 MiB (the libuv pool's
 * scrypt checks alone leave ~4 MiB per thread), 8-13 MiB with 2 arenas, for the same CPU per
 * event. glibc reads the variable only when the process starts.
 */
export const EDGE_PROCESS_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2' });

/**
 * V8 grows the old generation to a multiple of what the last mark-compact left live (up to 2x
 * here), so a soaking edge's RSS swung by 40-90 MiB above its 65-90 MiB of live heap and peaked
 * at 341 MiB in a 30-min soak. --heap-growing-percent=25 lets it grow 25 % past the live heap
 * before the next collection: the same CPU per event in alternating runs, peaks cut.
 * --max-semi-space-size=32: a young generation of 64 MiB (Node 20's default is 32, Node 24's on
 * this class of box already 64): fewer scavenges, and fewer of the events in flight (group commit,
 * outbox, uplink) copied before they die; ~10 % less CPU per event under the edge benchmark's
 * load for ~30 MiB more RSS at 2,000 devices. Figures: edge/README.md "Memory". Node flags V8
 * reads at start (not allowed in NODE_OPTIONS), so they ride the same re-exec as the variable,
 * and the service's ExecStart carries them on Node 20.
 */
export const EDGE_NODE_FLAGS = Object.freeze(['--heap-growing-percent=25', '--max-semi-space-size=32']);

/** A flag's name: the part before '=', with '_' read as '-' (V8 takes either spelling). */
const flagName = (/** @type {string} */ a) => a.split('=')[0].replaceAll('_', '-');

/**
 * The flags of EDGE_NODE_FLAGS whose name is not in `execArgv`: an operator's own value of a flag is kept.
 * @param {readonly string[]} execArgv
 * @returns {string[]}
 */
export function missingNodeFlags(execArgv) {
  const named = new Set(execArgv.map(flagName));
  return EDGE_NODE_FLAGS.filter((f) => !named.has(flagName(f)));
}

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
 * The same holds for EDGE_NODE_FLAGS: one missing from node's own flags (`execArgv`) is added.
 * @param {readonly string[]} args the CLI arguments (process.argv.slice(2))
 * @param {Record<string, string | undefined>} env
 * @param {{ platform: string, canExecve: boolean }} host
 * @param {readonly string[]} [execArgv] node's own flags of this process (process.execArgv)
 * @returns {{ action: 'none' } | { action: 'execve', env: Record<string, string>, execArgv: string[] }}
 */
export function edgeStartPlan(args, env, host, execArgv = []) {
  if (args[0] !== 'edge' || host.platform !== 'linux' || !host.canExecve) return { action: 'none' };
  const missing = Object.entries(EDGE_PROCESS_ENV).filter(([k]) => env[k] === undefined);
  const flags = missingNodeFlags(execArgv);
  if (missing.length === 0 && flags.length === 0) return { action: 'none' };
  /** @type {Record<string, string>} */
  const next = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) next[k] = v;
  for (const [k, v] of missing) next[k] = v;
  return { action: 'execve', env: next, execArgv: [...execArgv, ...flags] };
}

/**
 * Replace this process with the same command and the edge's environment and node flags when the
 * plan says so. Returns only when the process was not replaced (not the edge, already set, Node
 * 20, or execve failed: then the edge runs as it is, which only costs memory).
 */
export function startAsEdge() {
  const execve = process.execve;
  const plan = edgeStartPlan(process.argv.slice(2), process.env, { platform: process.platform, canExecve: typeof execve === 'function' }, process.execArgv);
  if (plan.action !== 'execve' || execve === undefined) return;
  try {
    // plan.execArgv keeps node's own flags (--expose-gc, --trace-gc, --cpu-prof ...) and adds
    // EDGE_NODE_FLAGS; NODE_OPTIONS rides in env.
    execve.call(process, process.execPath, [process.execPath, ...plan.execArgv, ...process.argv.slice(1)], plan.env);
  } catch {
    /* the edge runs without it; it logs SS_EDGE_MALLOC_ARENAS at start */
  }
}
