import { EDGE_PROCESS_ENV, missingNodeFlags } from '../bin/edge-env.js';
import { EDGE_CODES } from './errors.ts';

/**
 * The edge's malloc setting (issue 14, memory): bin/safestar.js gives `safestar edge`
 * MALLOC_ARENA_MAX=2 by replacing its own image where Node can (bin/edge-env.js). glibc reads the
 * variable only at process start, so an edge that runs without it (Node 20 started by hand, or
 * some other way) can only say so, once, at start.
 */
export interface MallocArenaAdvice {
  code: 'SS_EDGE_MALLOC_ARENAS' | 'SS_EDGE_HEAP_FLAGS';
  message: string;
}

/** The advice when the arenas are glibc's default (glibc runtime and the variable unset), else undefined. */
export function mallocArenaAdvice(env: NodeJS.ProcessEnv, glibcRuntime: string | undefined): MallocArenaAdvice | undefined {
  // musl and other libcs do not read the variable: nothing to advise there.
  if (glibcRuntime === undefined || Object.keys(EDGE_PROCESS_ENV).every((k) => env[k] !== undefined)) return undefined;
  return { code: 'SS_EDGE_MALLOC_ARENAS', message: EDGE_CODES.SS_EDGE_MALLOC_ARENAS };
}

/** The advice when a node flag of EDGE_NODE_FLAGS is missing from this process's own flags (V8 reads them only at start). */
export function heapFlagsAdvice(execArgv: readonly string[]): MallocArenaAdvice | undefined {
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
