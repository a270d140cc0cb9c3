import { describe, expect, it } from 'vitest';
import { MicroBatcher, type BatchFn } from '../../edge/scoring/micro-batcher.ts';

/** submitMany (issue 14): one promise per group commit, values in row order, bounds as in submit. */
const DIM = 3;
const row = (x: number): Float32Array => Float32Array.of(x, 0, 0);
const calls: number[] = [];
const double: BatchFn = (rows, n) => {
  calls.push(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rows[i * DIM]! * 2;
  return Promise.resolve(out);
};

describe('MicroBatcher.submitMany', () => {
  it('scores rows of one commit in one run and answers in row order', async () => {
    calls.length = 0;
    const b = new MicroBatcher(() => double, DIM, { maxBatch: 100 });
    const v = await b.submitMany([row(1), row(2), row(3), row(4)]);
    expect(v).toEqual([2, 4, 6, 8]);
    expect(calls).toEqual([4]);
    expect(await b.submitMany([])).toEqual([]);
  });

  it('splits by maxBatch, marks rows past the queue bound and after close as overload', async () => {
    calls.length = 0;
    const b = new MicroBatcher(() => double, DIM, { maxBatch: 2, maxQueueRows: 3, maxInflight: 5 });
    const v = await b.submitMany([row(1), row(2), row(3), row(4), row(5)]);
    expect(v).toEqual([2, 4, 6, 'overload', 'overload']);
    expect(calls).toEqual([2, 1]);
    expect(b.counters.overload).toBe(2);
    b.close();
    expect(await b.submitMany([row(1)])).toEqual(['overload']);
  });

  it('reports a failing run per row', async () => {
    const b = new MicroBatcher(() => () => Promise.reject(new Error('runtime gone')), DIM);
    expect(await b.submitMany([row(1), row(2)])).toEqual(['error', 'error']);
    expect(b.counters).toMatchObject({ error: 2, lastError: 'runtime gone' });
  });
});
