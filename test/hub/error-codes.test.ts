import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_REASONS, HUB_ERRORS } from '../../hub/errors.ts';

/**
 * Every SS_HUB_* / SS_CLUSTER_* / SS_DL_* code the hub core and cluster mode emit (hub/*.ts,
 * hub/api, hub/ingest, hub/store, hub/cluster) is in the one catalogue (hub/errors.ts) with a
 * what-it-means text. hub/index, hub/web and hub/cases have their own catalogues.
 */
const root = join(import.meta.dirname, '..', '..', 'hub');
const core = ['', 'api', 'ingest', 'store', 'cluster'].flatMap((d) =>
  readdirSync(join(root, d)).filter((f) => f.endsWith('.ts')).map((f) => join(root, d, f)),
);

describe('hub error catalogue', () => {
  it('lists every code the hub core and cluster mode use, and the codes its auth layer throws', () => {
    const used = new Set<string>();
    for (const f of [...core, join(root, 'cases', 'auth.ts')]) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\b(SS_(?:HUB|CLUSTER|DL)_[A-Z_]*[A-Z])\b/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((c) => c.startsWith('SS_CLUSTER_')).length).toBeGreaterThanOrEqual(5);
    const missing = [...used].filter((c) => !(c in HUB_ERRORS) && !(c in DEAD_LETTER_REASONS));
    expect(missing).toEqual([]);
    for (const text of [...Object.values(HUB_ERRORS), ...Object.values(DEAD_LETTER_REASONS)]) expect(text.length).toBeGreaterThan(10);
  });

  it('is the only hub catalogue of these prefixes: no second catalogue or error class under hub/cluster or hub/store', () => {
    for (const f of core.filter((f) => !f.endsWith(join('hub', 'errors.ts')))) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/export const [A-Z_]*ERRORS\s*=/);
      expect(text, f).not.toMatch(/class \w+Error extends Error/);
    }
  });
});
