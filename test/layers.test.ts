import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The project's layers (STYLE.md, issue 13): product code never reaches `simulators/`, not even
 * through another module, and `hub/cases` (the case and alarm records) never imports `hub/index`
 * (the engine that uses them), so the two do not import each other. Type-only imports count too:
 * they are coupling all the same.
 */
const ROOT = join(import.meta.dirname, '..');
const PRODUCT = ['edge', 'hub', 'protocol', 'common'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : files(p);
    return /\.(ts|mjs)$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative modules a file names in import/export/import() (type-only ones included). */
export function relativeImports(source: string): string[] {
  return [
    ...source.matchAll(/^\s*(?:import|export)\s[^'";]*?\sfrom\s+['"](\.[^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
}

function resolveFrom(file: string, spec: string): string | undefined {
  const p = resolve(dirname(file), spec);
  return existsSync(p) && statSync(p).isFile() ? p : undefined;
}

/** Every module reachable from `start` through relative imports, with the chain that reached it. */
function reach(start: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[start, [start]]]);
  const todo = [start];
  while (todo.length) {
    const f = todo.pop()!;
    for (const spec of relativeImports(readFileSync(f, 'utf8'))) {
      const t = resolveFrom(f, spec);
      if (!t || seen.has(t) || t.includes(`${join(ROOT, 'node_modules')}`)) continue;
      seen.set(t, [...seen.get(f)!, t]);
      todo.push(t);
    }
  }
  return seen;
}

const rel = (p: string): string => relative(ROOT, p);

describe('layers', () => {
  it('reads imports the way they are written (the parser itself)', () => {
    const src = "import a from './a.ts';\nimport type { B } from '../b.ts';\nexport { c } from './c.ts';\nimport './side.ts';\nconst d = await import('./d.ts');\nimport x from 'fastify';";
    expect(relativeImports(src)).toEqual(['./a.ts', '../b.ts', './c.ts', './side.ts', './d.ts']);
  });

  it('no product module reaches simulators/, directly or through another module', () => {
    const product = PRODUCT.flatMap((d) => files(join(ROOT, d)));
    expect(product.length).toBeGreaterThan(200);
    const sims = join(ROOT, 'simulators') + '/';
    const bad: string[] = [];
    for (const f of product) {
      for (const [t, chain] of reach(f)) if (t.startsWith(sims)) bad.push(chain.map(rel).join(' → '));
    }
    expect(bad).toEqual([]);
  });

  it('the walk finds what it looks for (a module that does import simulators/ is caught)', () => {
    // models/sources.ts feeds training from the simulators on purpose (models/ is offline tooling).
    const chains = [...reach(join(ROOT, 'models', 'sources.ts')).keys()].map(rel);
    expect(chains.some((p) => p.startsWith('simulators/'))).toBe(true);
  });

  it('hub/cases never imports hub/index (the index engine uses the case records, not the reverse)', () => {
    const cases = files(join(ROOT, 'hub', 'cases'));
    expect(cases.length).toBeGreaterThan(5);
    const index = join(ROOT, 'hub', 'index') + '/';
    const bad = cases.flatMap((f) => relativeImports(readFileSync(f, 'utf8')).filter((s) => resolve(dirname(f), s).startsWith(index)).map((s) => `${rel(f)}: ${s}`));
    expect(bad).toEqual([]);
  });
});
