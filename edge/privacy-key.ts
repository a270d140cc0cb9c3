import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The privacy stage's key: the site config's `privacySecret`, else `SAFESTAR_SITE_SECRET`, else a
 * random key generated once and kept in `{dataDir}/privacy.key` (mode 0600), so hashes stay
 * stable across restarts. Edges of one city should share a secret for hashes to link across
 * edges; the generated key only links within this edge.
 */
export function resolvePrivacyKey(configSecret: string | undefined, dataDir: string, env = process.env): { key: string; source: 'config' | 'env' | 'file' } {
  if (configSecret) return { key: configSecret, source: 'config' };
  const fromEnv = env['SAFESTAR_SITE_SECRET'];
  if (fromEnv && fromEnv.length >= 16) return { key: fromEnv, source: 'env' };
  const file = join(dataDir, 'privacy.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), source: 'file' };
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: 'file' };
}
