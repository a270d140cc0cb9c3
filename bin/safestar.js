#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx's loader: no build step, so a clean
// `npm ci` is enough for `npx safestar`. `edge` alone runs the compiled JavaScript of
// `npm run build` instead when dist/ was built from exactly these sources (bin/compiled.js): an
// edge is long-running and short of memory, and tsx's loader thread costs it 25-35 MiB.
import { join } from 'node:path';
import { buildStatus, distDir } from './compiled.js';
import { startAsEdge } from './edge-env.js';

// First, before tsx's loader thread and esbuild's service process exist: `edge` may replace this
// process (same pid) with one that has the edge's malloc setting (bin/edge-env.js).
startAsEdge();
const root = join(import.meta.dirname, '..');
const build = process.argv[2] === 'edge' ? buildStatus(root, distDir(root, process.env)) : undefined;
if (build?.current) {
  // Read by the edge's start-up log (edge/process-memory.ts buildAdvice).
  process.env.SS_EDGE_BUILD = 'compiled';
  await import(build.entry);
} else {
  if (build) process.env.SS_EDGE_BUILD = `sources:${build.reason}`;
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
