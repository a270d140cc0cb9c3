import { readFileSync } from 'node:fs';

/**
 * The product's version, from package.json (one source: `safestar --version`, `/version` on both
 * servers and the OpenAPI documents all say the same).
 */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What `/version` answers: no build secrets, nothing about the host beyond the Node.js version. */
export function versionInfo(service: 'hub' | 'edge'): { name: 'safestar'; service: 'hub' | 'edge'; version: string; node: string } {
  return { name: 'safestar', service, version: VERSION, node: process.version };
}
