// How a long-running `safestar edge` is started (issue 14, memory). Plain JavaScript: it runs
// before tsx's loader is registered, so the process can still be replaced before any thread,
// child process or socket of the CLI exists. Every figure: edge/README.md "Memory".

/**
 * glibc gives each thread that calls malloc an arena of its own (up to 8 per core) and keeps
 * what it frees there: at 2,000 devices the per-thread arenas held 37-44 MiB (the libuv pool's
 * scrypt checks alone leave ~4 MiB per thread), 8-13 MiB with 2 arenas, for the same CPU per
 * event. glibc reads the variable only when the process starts.
 */
export const EDGE_PROCESS_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2' });

/**
 * V8's heap, about twice the live heap without these (62-75 MiB live in 111-147 committed):
 * - the young generation (two semi-spaces) grows to 32 MiB on Node 20 (128 on Node 24), all
 *   resident once used; the edge's garbage (packets, events, rows) dies within a group commit,
 *   so 4 MiB semi-spaces do the same work;
 * - after each mark-compact V8 lets the old space grow to live × a factor of its choosing (up to
 *   4×) before the next; 25 % bounds the swing.
 * Both are read when the heap is set up, so they are node flags of the edge's process (set at
 * run time with v8.setFlagsFromString they were undone as soon as a worker thread started: tsx's
 * loader thread did that). Each entry: [flag, value].
 */
export const EDGE_NODE_FLAGS = Object.freeze([
  ['--max-semi-space-size', '4'],
  ['--heap-growing-percent', '25'],
]);

/** A flag's name as node and V8 accept it (dashes or underscores). */
const flagName = (/** @type {string} */ a) => a.split('=')[0].replace(/_/g, '-');

/**
 * The edge flags that node's own arguments (argv or NODE_OPTIONS) do not set already: the
 * operator's value of a flag, whatever it is, wins.
 * @param {readonly string[]} execArgv
 * @param {string | undefined} nodeOptions
 * @returns {string[]} as `--flag=value`
 */
export function missingNodeFlags(execArgv, nodeOptions) {
  const given = new Set([...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter(Boolean).map(flagName));
  return EDGE_NODE_FLAGS.filter(([f]) => !given.has(f)).map(([f, v]) => `${f}=${v}`);
}

/**
 * What bin/safestar.js does before anything else. 'execve' when the command is `edge`, the
 * platform is Linux, something of EDGE_PROCESS_ENV / EDGE_NODE_FLAGS is missing and this Node
 * can replace its own image (`process.execve`, Node >= 22.15 / 23.11): the same pid runs on with
 * them, so signals, exit codes, stdio and `kill -9 <pid>` are those of the edge itself, with no
 * wrapper between. Without `process.execve` (Node 20) 'unsupported': the edge runs as it is and
 * says so in its log (SS_EDGE_MEMORY_SETTINGS); its service has to start it with them
 * (deploy/systemd/safestar-edge.service). Nothing missing (the service set them, or this is the
 * replaced image): 'none', so it never loops.
 * @param {readonly string[]} args the CLI arguments (process.argv.slice(2))
 * @param {Record<string, string | undefined>} env
 * @param {readonly string[]} execArgv
 * @param {{ platform: string, canExecve: boolean }} host
 * @returns {{ action: 'none' | 'unsupported' } | { action: 'execve', env: Record<string, string>, flags: string[] }}
 */
export function edgeStartPlan(args, env, execArgv, host) {
  if (args[0] !== 'edge' || host.platform !== 'linux') return { action: 'none' };
  const missingEnv = Object.entries(EDGE_PROCESS_ENV).filter(([k]) => env[k] === undefined);
  const flags = missingNodeFlags(execArgv, env['NODE_OPTIONS']);
  if (missingEnv.length === 0 && flags.length === 0) return { action: 'none' };
  if (!host.canExecve) return { action: 'unsupported' };
  /** @type {Record<string, string>} */
  const next = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) next[k] = v;
  for (const [k, v] of missingEnv) next[k] = v;
  return { action: 'execve', env: next, flags };
}

/**
 * Replace this process with the same command, the edge's environment and node flags when the
 * plan says so. Returns only when the process was not replaced (not the edge, already set, Node
 * 20, or execve failed: then the edge runs as it is, which only costs memory).
 */
export function startAsEdge() {
  const execve = process.execve;
  const plan = edgeStartPlan(process.argv.slice(2), process.env, process.execArgv, { platform: process.platform, canExecve: typeof execve === 'function' });
  if (plan.action !== 'execve' || execve === undefined) return;
  try {
    // execArgv keeps node's own flags (--expose-gc, --trace-gc, --cpu-prof ...); NODE_OPTIONS rides in env.
    execve.call(process, process.execPath, [process.execPath, ...plan.flags, ...process.execArgv, ...process.argv.slice(1)], plan.env);
  } catch {
    /* the edge runs without them; it logs SS_EDGE_MEMORY_SETTINGS at start */
  }
}
