/** A binary min-heap of (time, index) pairs; ties break by index so merges are deterministic. */
export class TimeHeap {
  private readonly heap: [number, number][] = [];

  private static less(a: [number, number], b: [number, number]): boolean {
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  }

  peek(): [number, number] | undefined {
    return this.heap[0];
  }

  push(t: number, index: number): void {
    const heap = this.heap;
    heap.push([t, index]);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!TimeHeap.less(heap[i] as [number, number], heap[p] as [number, number])) break;
      [heap[i], heap[p]] = [heap[p] as [number, number], heap[i] as [number, number]];
      i = p;
    }
  }

  pop(): [number, number] | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && TimeHeap.less(heap[l] as [number, number], heap[m] as [number, number])) m = l;
        if (r < heap.length && TimeHeap.less(heap[r] as [number, number], heap[m] as [number, number])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as [number, number], heap[i] as [number, number]];
        i = m;
      }
    }
    return top;
  }
}
