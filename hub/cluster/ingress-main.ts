import { loadClusterConfig } from './config.ts';
import { runIngress } from './run-ingress.ts';

/** Process entry: `node --import tsx hub/cluster/ingress-main.ts <config.json | JSON>` (dev mode credentials; `safestar hub ingress` reads the credential store). */
await runIngress(loadClusterConfig(process.argv[2]));
