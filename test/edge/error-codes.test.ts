import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EDGE_CODES } from '../../edge/errors.ts';

/** Every SS_* code the edge emits is in the catalogue (edge/errors.ts), with a what-to-do text. */
const root = join(import.meta.dirname, '..', '..', 'edge');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

describe('edge error catalogue', () => {
  it('lists every code used in edge/ (except edge/scoring, which has its own)', () => {
    const used = new Set<string>();
    for (const f of files(root).filter((f) => !f.includes(`${join('edge', 'scoring')}`))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/'(SS_[A-Z_]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(20);
    const missing = [...used].filter((c) => !(c in EDGE_CODES));
    expect(missing).toEqual([]);
    for (const text of Object.values(EDGE_CODES)) expect(text.length).toBeGreaterThan(10);
  });
});
