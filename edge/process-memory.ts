import { EDGE_PROCESS_ENV, missingNodeFlags } from '../bin/edge-env.js';
import { EDGE_CODES } from './errors.ts';

/**
 * The edge's memory settings (issue 14, memory): bin/safestar.js gives `safestar edge` the
 * environment and node flags of bin/edge-env.js by replacing its own image where Node can. Both
 * take effect only at process start, so an edge that runs without them (Node 20 started by
 * hand, or some other way) can only say so, once, at start.
 */
export interface MemorySettingsAdvice {
  code: 'SS_EDGE_MEMORY_SETTINGS';
  message: string;
  missing: string[];
}

/**
 * What is missing, as `NAME=value` / `--flag=value`, or undefined when nothing is. The malloc
 * variable counts only on glibc (`glibcRuntime` undefined: musl and others do not read it).
 */
export function memorySettingsAdvice(env: NodeJS.ProcessEnv, execArgv: readonly string[], glibcRuntime: string | undefined): MemorySettingsAdvice | undefined {
  const missing = [
    ...(glibcRuntime === undefined ? [] : Object.entries(EDGE_PROCESS_ENV).filter(([k]) => env[k] === undefined).map(([k, v]) => `${k}=${v}`)),
    ...missingNodeFlags(execArgv, env['NODE_OPTIONS']),
  ];
  return missing.length === 0 ? undefined : { code: 'SS_EDGE_MEMORY_SETTINGS', message: EDGE_CODES.SS_EDGE_MEMORY_SETTINGS, missing };
}

/** The glibc version this process runs on, from Node's diagnostic report header (undefined off glibc). */
export function glibcRuntime(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return header?.glibcVersionRuntime;
}
