import { loadClusterConfig } from './config.ts';
import { runIngress } from './run-ingress.ts';

/**
 * Process entry: `node --import tsx hub/cluster/ingress-main.ts <config.json | JSON> [--insecure-dev]`.
 * Edges authenticate against the cluster's PostgreSQL, as with `safestar hub ingress`.
 */
const args = process.argv.slice(2);
await runIngress(loadClusterConfig(args.find((a) => !a.startsWith('--'))), { insecureDev: args.includes('--insecure-dev') });
