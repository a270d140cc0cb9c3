import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Product code (hub, edge, common, protocol) must never import the simulators (issue 11). */
const ROOT = new URL('../../', import.meta.url).pathname;
const PRODUCT = ['hub', 'edge', 'common', 'protocol'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') || p.endsWith('.js') ? [p] : [];
  });
}

describe('module boundaries', () => {
  it('no product file imports simulators/', () => {
    const offenders = PRODUCT.flatMap((d) => files(join(ROOT, d))).filter((f) => /from\s+['"][^'"]*simulators\//.test(readFileSync(f, 'utf8')) || /import\(\s*['"][^'"]*simulators\//.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => f.slice(ROOT.length))).toEqual([]);
    // The case contract the simulators share with the hub lives in protocol/.
    expect(readFileSync(join(ROOT, 'simulators/cases/generate.ts'), 'utf8')).toContain("from '../../protocol/cases.ts'");
  });
});
