import { loadClusterConfig } from './config.ts';
import { runWorker } from './run-worker.ts';

/** Process entry: `node --import tsx hub/cluster/worker-main.ts <config.json | JSON>` (what `safestar hub worker` runs). */
await runWorker(loadClusterConfig(process.argv[2]));
