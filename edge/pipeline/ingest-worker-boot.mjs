// Entry of an ingest worker. A worker thread does not run the parent's loader hooks, so it
// registers tsx itself before loading the TypeScript (the CLI runs sources directly, no build step).
import { register } from 'tsx/esm/api';

register();
await import('./ingest-worker.ts');
