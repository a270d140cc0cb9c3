import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm install --omit=dev` must run the hub, the edge and the simulators (installers use them on
 * site): product code may import only packages in `dependencies`. Left out on purpose, with
 * their dev-only tools: test/, bench/ (`safestar bench` needs node-red and the other anchors) and
 * dashboards/ (`safestar dashboards` builds JSON with the Grafana SDK; its output is what ships).
 */
const ROOT = join(import.meta.dirname, '..');
const PRODUCT = ['bin', 'cli', 'common', 'edge', 'hub', 'protocol', 'simulators', 'models'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : files(p);
    return /\.(ts|js|mjs)$/.test(f) ? [p] : [];
  });
}

/** Packages a file loads at run time (type-only imports are erased and need nothing installed). */
export function runtimeImports(source: string): string[] {
  const out: string[] = [];
  const specs = [
    ...source.matchAll(/^\s*import\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*export\s+(?!type\s)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...source.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  for (const s of specs) {
    if (s.startsWith('.') || s.startsWith('/') || s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!)) continue;
    out.push(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);
  }
  return out;
}

describe('production dependencies', () => {
  it('finds imports the way the loader does (the parser itself)', () => {
    expect(runtimeImports("import a from 'fastify';\nimport type { B } from 'vitest';\nconst x = await import('typebox/compile');\nexport { y } from '@fastify/swagger';")).toEqual(['fastify', '@fastify/swagger', 'typebox']);
  });

  it('product code imports only packages listed in dependencies', () => {
    const deps = new Set(Object.keys(pkg.dependencies));
    const scanned = PRODUCT.flatMap((d) => files(join(ROOT, d)));
    expect(scanned.length).toBeGreaterThan(100);
    const bad = scanned.flatMap((f) => runtimeImports(readFileSync(f, 'utf8')).filter((p) => !deps.has(p)).map((p) => `${relative(ROOT, f)}: ${p}${p in pkg.devDependencies ? ' (a devDependency)' : ' (not in package.json)'}`));
    expect(bad).toEqual([]);
  });

  it('lists nothing in dependencies that product code never loads', () => {
    const used = new Set(PRODUCT.flatMap((d) => files(join(ROOT, d))).flatMap((f) => runtimeImports(readFileSync(f, 'utf8'))));
    // Not imported but needed at run time: Leaflet's files are served to the browser by the operator console.
    const indirect = new Set<string>(['leaflet']);
    expect(Object.keys(pkg.dependencies).filter((d) => !used.has(d) && !indirect.has(d))).toEqual([]);
  });
});
