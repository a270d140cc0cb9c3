import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLUSTER_ERRORS } from '../../hub/cluster/errors.ts';

/** Every SS_CLUSTER_* code used in cluster mode's code is in its catalogue, with a what-to-do text. */
describe('cluster error catalogue', () => {
  it('lists every SS_CLUSTER_* code used in hub/cluster and the PostgreSQL stores', () => {
    const root = join(import.meta.dirname, '..', '..', 'hub');
    const files = [
      ...readdirSync(join(root, 'cluster')).map((f) => join(root, 'cluster', f)),
      ...readdirSync(join(root, 'store')).filter((f) => f.startsWith('pg')).map((f) => join(root, 'store', f)),
    ].filter((f) => f.endsWith('.ts'));
    const used = new Set<string>();
    for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/'(SS_CLUSTER_[A-Z_]+)'/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThanOrEqual(5);
    expect([...used].filter((c) => !(c in CLUSTER_ERRORS))).toEqual([]);
    for (const text of Object.values(CLUSTER_ERRORS)) expect(text.length).toBeGreaterThan(20);
  });
});
