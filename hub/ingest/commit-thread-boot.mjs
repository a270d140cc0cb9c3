// Entry of the hub's commit thread. In a build (dist/, `npm run build`) the compiled thread sits
// beside this file and is loaded as it is; from the sources, a worker thread does not run the
// parent's loader hooks, so it registers tsx itself before loading the TypeScript.
import { existsSync } from 'node:fs';

const compiled = new URL('./commit-thread.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./commit-thread.ts');
}
