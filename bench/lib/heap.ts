import { readFileSync } from 'node:fs';

/** One constructor's share of a V8 heap snapshot (bytes, as the DevTools "Summary" view groups them). */
export interface ConstructorStat {
  name: string;
  count: number;
  selfBytes: number;
  /**
   * Bytes this constructor's objects keep alive (their dominator subtrees), counting an object only
   * when no object of the same constructor dominates it, so nested ones are not counted twice.
   */
  retainedBytes: number;
}

export interface HeapSummary {
  nodes: number;
  totalBytes: number;
  byConstructor: Map<string, ConstructorStat>;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] }; root_index?: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * Group a `.heapsnapshot` file by constructor: count, self size and retained size. Retained sizes
 * come from the dominator tree (Cooper–Harvey–Kennedy iteration over reverse post-order from the
 * root), ignoring weak edges, as DevTools does.
 */
export function summarizeHeapSnapshot(file: string): HeapSummary {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nType = meta.node_fields.indexOf('type');
  const nName = meta.node_fields.indexOf('name');
  const nSize = meta.node_fields.indexOf('self_size');
  const nEdges = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eTo = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const weak = meta.edge_types[0].indexOf('weak');
  const nodes = raw.nodes;
  const edges = raw.edges;
  const n = nodes.length / nf;

  // Class of each node: objects and natives by constructor name, the rest by type ("(string)", …).
  const classIds = new Int32Array(n);
  const classNames: string[] = [];
  const classIndex = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const type = nodeTypes[nodes[i * nf + nType]!] ?? '?';
    const name = type === 'object' || type === 'native' ? raw.strings[nodes[i * nf + nName]!] ?? '?' : `(${type})`;
    let c = classIndex.get(name);
    if (c === undefined) {
      c = classNames.length;
      classNames.push(name);
      classIndex.set(name, c);
    }
    classIds[i] = c;
  }

  // Forward adjacency (strong edges only) and the first edge of each node.
  const firstEdge = new Int32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += nodes[i * nf + nEdges]! * ef;
    firstEdge[i + 1] = e;
  }
  const strong = (e: number): boolean => edges[e + eType] !== weak;

  // Reverse post-order from the root (node 0), iteratively.
  const order = new Int32Array(n).fill(-1); // node → post-order number
  const post: number[] = [];
  const stack: number[] = [0];
  const cursor = new Int32Array(n);
  const visited = new Uint8Array(n);
  visited[0] = 1;
  for (let i = 0; i < n; i++) cursor[i] = firstEdge[i]!;
  while (stack.length) {
    const v = stack[stack.length - 1]!;
    let pushed = false;
    while (cursor[v]! < firstEdge[v + 1]!) {
      const e = cursor[v]!;
      cursor[v] = e + ef;
      if (!strong(e)) continue;
      const w = edges[e + eTo]! / nf;
      if (!visited[w]) {
        visited[w] = 1;
        stack.push(w);
        pushed = true;
        break;
      }
    }
    if (!pushed) {
      stack.pop();
      order[v] = post.length;
      post.push(v);
    }
  }
  // Predecessors of reachable nodes (CSR).
  const predCount = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (!visited[v]) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) if (strong(e)) predCount[edges[e + eTo]! / nf + 1]!++;
  }
  for (let i = 0; i < n; i++) predCount[i + 1]! += predCount[i]!;
  const preds = new Int32Array(predCount[n]!);
  const fill = predCount.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (!visited[v]) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef) if (strong(e)) preds[fill[edges[e + eTo]! / nf]!++] = v;
  }
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (order[a]! < order[b]!) a = idom[a]!;
      while (order[b]! < order[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = post.length - 2; k >= 0; k--) {
      const v = post[k]!;
      let d = -1;
      for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
        const u = preds[p]!;
        if (idom[u] === -1) continue;
        d = d === -1 ? u : intersect(u, d);
      }
      if (d !== -1 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  // Retained = self + dominated subtrees, summed children-first (post-order).
  const retained = new Float64Array(n);
  for (let i = 0; i < n; i++) retained[i] = nodes[i * nf + nSize]!;
  for (const v of post) if (v !== 0 && idom[v]! >= 0) retained[idom[v]!]! += retained[v]!;

  const byConstructor = new Map<string, ConstructorStat>();
  let totalBytes = 0;
  for (let i = 0; i < n; i++) {
    if (!visited[i]) continue;
    const name = classNames[classIds[i]!]!;
    const s = byConstructor.get(name) ?? { name, count: 0, selfBytes: 0, retainedBytes: 0 };
    const self = nodes[i * nf + nSize]!;
    s.count++;
    s.selfBytes += self;
    totalBytes += self;
    // Count retained only at the outermost object of this class on its dominator chain.
    let a = idom[i]!;
    let nested = false;
    while (a !== 0 && a !== -1) {
      if (classIds[a] === classIds[i]) {
        nested = true;
        break;
      }
      a = idom[a]!;
    }
    if (!nested) s.retainedBytes += retained[i]!;
    byConstructor.set(name, s);
  }
  return { nodes: post.length, totalBytes, byConstructor };
}

export interface ConstructorGrowth {
  name: string;
  countDelta: number;
  selfBytesDelta: number;
  retainedBytesDelta: number;
  retainedBytesEnd: number;
}

/** The constructors whose retained size grew most between two snapshots (largest first). */
export function heapGrowth(start: HeapSummary, end: HeapSummary, top = 10): ConstructorGrowth[] {
  const names = new Set([...start.byConstructor.keys(), ...end.byConstructor.keys()]);
  const out: ConstructorGrowth[] = [];
  for (const name of names) {
    // The synthetic roots retain the whole heap: their growth is the total, not a culprit.
    if (name === '(synthetic)') continue;
    const a = start.byConstructor.get(name);
    const b = end.byConstructor.get(name);
    out.push({
      name,
      countDelta: (b?.count ?? 0) - (a?.count ?? 0),
      selfBytesDelta: (b?.selfBytes ?? 0) - (a?.selfBytes ?? 0),
      retainedBytesDelta: (b?.retainedBytes ?? 0) - (a?.retainedBytes ?? 0),
      retainedBytesEnd: b?.retainedBytes ?? 0,
    });
  }
  return out.sort((x, y) => y.retainedBytesDelta - x.retainedBytesDelta).slice(0, top);
}
