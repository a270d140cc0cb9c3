import { EDGE_PROCESS_ENV, missingNodeFlags } from '../bin/edge-env.js';
import { EDGE_CODES } from './errors.ts';

/**
 * How the edge's process was started, as far as memory goes (issue 14): bin/safestar.js gives
 * `safestar edge` MALLOC_ARENA_MAX=2 and the node flags of EDGE_NODE_FLAGS by replacing its own
 * image where Node can (bin/edge-env.js), and runs the compiled build when one matches the sources
 * (bin/compiled.js). All of it is decided at process start, so an edge that runs without one of
 * them (Node 20 started by hand, no `npm run build`, ...) can only say so, once, at start.
 */
export interface StartAdvice {
  code: 'SS_EDGE_MALLOC_ARENAS' | 'SS_EDGE_HEAP_FLAGS' | 'SS_EDGE_UNCOMPILED';
  message: string;
}

/** The advice when the arenas are glibc's default (glibc runtime and the variable unset), else undefined. */
export function mallocArenaAdvice(env: NodeJS.ProcessEnv, glibcRuntime: string | undefined): StartAdvice | undefined {
  // musl and other libcs do not read the variable: nothing to advise there.
  if (glibcRuntime === undefined || Object.keys(EDGE_PROCESS_ENV).every((k) => env[k] !== undefined)) return undefined;
  return { code: 'SS_EDGE_MALLOC_ARENAS', message: EDGE_CODES.SS_EDGE_MALLOC_ARENAS };
}

/** The advice when a node flag of EDGE_NODE_FLAGS is missing from this process's own flags (V8 reads them only at start). */
export function heapFlagsAdvice(execArgv: readonly string[]): StartAdvice | undefined {
  const missing = missingNodeFlags(execArgv);
  if (missing.length === 0) return undefined;
  return { code: 'SS_EDGE_HEAP_FLAGS', message: `${EDGE_CODES.SS_EDGE_HEAP_FLAGS} (missing: ${missing.join(' ')})` };
}

/** The glibc version this process runs on, from Node's diagnostic report header (undefined off glibc). */
export function glibcRuntime(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return header?.glibcVersionRuntime;
}

/**
 * The advice when bin/safestar.js ran the edge from its TypeScript sources (SS_EDGE_BUILD
 * `sources:<why>`, set by the bin): no build in dist/, or one of other sources. Undefined when it
 * runs the build, or was not started by the bin at all (an edge embedded in another process).
 */
export function buildAdvice(env: NodeJS.ProcessEnv): StartAdvice | undefined {
  const build = env.SS_EDGE_BUILD;
  if (build === undefined || !build.startsWith('sources:')) return undefined;
  const why = build.slice('sources:'.length);
  const said = why === 'stale' ? 'dist/ was built from other sources' : why === 'unreadable' ? 'dist/BUILD.json is unreadable' : 'no build in dist/';
  return { code: 'SS_EDGE_UNCOMPILED', message: `${EDGE_CODES.SS_EDGE_UNCOMPILED} (${said})` };
}
