import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Configuration by archaeology (issue 16) stays fixed: every environment variable the code reads
 * (product, tests, benchmarks) is a row of the README's one table.
 */
const ROOT = join(import.meta.dirname, '..');
const DIRS = ['bin', 'cli', 'common', 'edge', 'hub', 'protocol', 'simulators', 'models', 'dashboards', 'bench', 'test'];
/** Set by the code for a child process, never read from the user's environment. */
const INTERNAL = new Set(['SS_NR_PORT', 'NODE_RED_ENABLE_PROJECTS']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' || f === 'fixtures' ? [] : files(p);
    return /\.(ts|js)$/.test(f) ? [p] : [];
  });
}

export function envReads(source: string): string[] {
  return [...source.matchAll(/\benv(?:\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\]|\.([A-Z][A-Z0-9_]+)\b)/g)].map((m) => (m[1] ?? m[2])!);
}

describe('environment variables', () => {
  it('are found as the code reads them', () => {
    expect(envReads("process.env['LOG_LEVEL'] ?? env.SAFESTAR_X; env[\"B_C\"]")).toEqual(['LOG_LEVEL', 'SAFESTAR_X', 'B_C']);
  });

  it('are each documented in the README table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));
    const read = new Set(DIRS.flatMap((d) => files(join(ROOT, d))).filter((f) => f !== import.meta.filename).flatMap((f) => envReads(readFileSync(f, 'utf8'))));
    expect(read.size).toBeGreaterThan(8);
    for (const must of ['SAFESTAR_OPERATOR_TOKENS', 'SAFESTAR_PUBLIC_URL', 'SAFESTAR_DEBUG', 'LOG_LEVEL', 'SAFESTAR_INFLUX_URL']) expect(rows.has(must), must).toBe(true);
    expect([...read].filter((v) => !rows.has(v) && !INTERNAL.has(v))).toEqual([]);
  });
});
