import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapGrowth, summarizeHeapSnapshot } from '../../bench/lib/heap.ts';
import { tempDir } from '../hub/helpers.ts';

const NODE_FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
const TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

/** A hand-made snapshot in V8's format: nodes [type, name, size, [edges: [type, to]]]. */
function snapshot(nodes: Array<{ type: string; name: string; size: number; edges: Array<[string, number]> }>): string {
  const strings: string[] = [];
  const str = (s: string): number => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  const flatNodes: number[] = [];
  const flatEdges: number[] = [];
  nodes.forEach((n, i) => {
    flatNodes.push(TYPES.indexOf(n.type), str(n.name), i * 2 + 1, n.size, n.edges.length, 0, 0);
    for (const [t, to] of n.edges) flatEdges.push(EDGE_TYPES.indexOf(t), str('p'), to * NODE_FIELDS.length);
  });
  return JSON.stringify({
    snapshot: { meta: { node_fields: NODE_FIELDS, node_types: [TYPES, 'string', 'number', 'number', 'number', 'number', 'number'], edge_fields: ['type', 'name_or_index', 'to_node'], edge_types: [EDGE_TYPES, 'string_or_number', 'node'] } },
    nodes: flatNodes,
    edges: flatEdges,
    strings,
  });
}

describe('heap snapshot summary (soak suite)', () => {
  it('groups by constructor and computes retained sizes from dominators, ignoring weak edges and nested same-class objects', () => {
    const dir = tempDir('safestar-heap-');
    // root → Cache(10) → Entry(100) → Entry(50); root → A(1) → Shared(7) ← B(1) ← root; Cache ⇢weak⇢ B.
    const file = join(dir, 'a.heapsnapshot');
    writeFileSync(
      file,
      snapshot([
        { type: 'synthetic', name: '', size: 0, edges: [['property', 1], ['property', 4], ['property', 6]] },
        { type: 'object', name: 'Cache', size: 10, edges: [['property', 2], ['weak', 6]] },
        { type: 'object', name: 'Entry', size: 100, edges: [['property', 3]] },
        { type: 'object', name: 'Entry', size: 50, edges: [] },
        { type: 'object', name: 'A', size: 1, edges: [['property', 5]] },
        { type: 'object', name: 'Shared', size: 7, edges: [] },
        { type: 'object', name: 'B', size: 1, edges: [['property', 5]] },
        { type: 'string', name: 'unreachable', size: 999, edges: [] },
      ]),
    );
    const s = summarizeHeapSnapshot(file);
    expect(s.totalBytes).toBe(169); // the unreachable string is not counted
    expect(s.byConstructor.get('Cache')).toEqual({ name: 'Cache', count: 1, selfBytes: 10, retainedBytes: 160 });
    // The inner Entry is dominated by the outer one: the class retains 150, not 200.
    expect(s.byConstructor.get('Entry')).toEqual({ name: 'Entry', count: 2, selfBytes: 150, retainedBytes: 150 });
    // Shared has two strong owners: neither A nor B retains it.
    expect(s.byConstructor.get('A')!.retainedBytes).toBe(1);
    expect(s.byConstructor.get('Shared')!.retainedBytes).toBe(7);
    expect(s.byConstructor.has('(string)')).toBe(false);

    const grown = join(dir, 'b.heapsnapshot');
    writeFileSync(
      grown,
      snapshot([
        { type: 'synthetic', name: '', size: 0, edges: [['property', 1]] },
        { type: 'object', name: 'Cache', size: 10, edges: [['property', 2], ['property', 3], ['property', 4]] },
        { type: 'object', name: 'Entry', size: 100, edges: [] },
        { type: 'object', name: 'Entry', size: 100, edges: [] },
        { type: 'object', name: 'Entry', size: 100, edges: [] },
      ]),
    );
    const g = heapGrowth(s, summarizeHeapSnapshot(grown), 2);
    expect(g[0]).toMatchObject({ name: 'Cache', retainedBytesDelta: 150, countDelta: 0 });
    expect(g[1]).toMatchObject({ name: 'Entry', retainedBytesDelta: 150, countDelta: 1, selfBytesDelta: 150 });
  });
});
