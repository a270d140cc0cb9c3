#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx's loader: no build step, so a clean
// `npm ci` is enough for `npx safestar`.
import { startAsEdge } from './edge-env.js';

// First, before tsx's loader thread and esbuild's service process exist: `edge` may replace this
// process (same pid) with one that has the edge's malloc setting (bin/edge-env.js).
startAsEdge();
const { register } = await import('tsx/esm/api');
register();
await import('../cli/main.ts');
