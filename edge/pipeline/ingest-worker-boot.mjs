// Entry of an ingest worker. In a build (dist/, `npm run build`) the compiled worker sits beside
// this file and is loaded as it is; from the sources, a worker thread does not run the parent's
// loader hooks, so it registers tsx itself before loading the TypeScript.
import { existsSync } from 'node:fs';

const compiled = new URL('./ingest-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./ingest-worker.ts');
}
