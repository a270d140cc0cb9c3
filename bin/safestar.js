#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx's loader: no build step, so a clean
// `npm ci` is enough for `npx safestar`.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
