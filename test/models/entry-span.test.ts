import { describe, expect, it } from 'vitest';
import { EntrySpanMemory, MAX_KEYS } from '../../models/entry-span.ts';

const MIN = 60_000;

describe('EntrySpanMemory (f8)', () => {
  it('an open entry spans a forced door: entry ≤ A before the door, leave ≤ B after it; a leave closes the region', () => {
    const m = new EntrySpanMemory(10 * MIN, 30 * MIN);
    m.enter('cam-1/1', 0);
    m.forced(5 * MIN);
    expect(m.leave('cam-1/2', 6 * MIN)).toBe(false);
    expect(m.leave('cam-1/1', 20 * MIN)).toBe(true);
    expect(m.leave('cam-1/1', 21 * MIN)).toBe(false);
    // A later entry of the same region, the door now 16 min before it: not spanned.
    m.enter('cam-1/1', 21 * MIN);
    expect(m.leave('cam-1/1', 30 * MIN)).toBe(false);
  });

  it('stays bounded however many camera regions and forced doors it sees, and saves what it keeps', () => {
    const m = new EntrySpanMemory(10 * MIN, 30 * MIN);
    for (let i = 0; i < 3 * MAX_KEYS; i++) {
      for (let k = 0; k < 10; k++) m.enter(`cam-${i}/1`, i * 1000 + k);
      m.forced(i * 1000);
    }
    expect(m.regions).toBe(MAX_KEYS);
    const [forced, open] = m.save();
    expect(forced.length).toBeLessThanOrEqual(8);
    expect(open.length).toBe(MAX_KEYS);
    expect(Math.max(...open.map(([, l]) => l.length))).toBeLessThanOrEqual(4);
    // The newest regions are kept, the longest silent evicted.
    expect(open.at(-1)![0]).toBe(`cam-${3 * MAX_KEYS - 1}/1`);
    const back = new EntrySpanMemory(10 * MIN, 30 * MIN);
    back.load(JSON.parse(JSON.stringify(m.save())));
    expect(back.save()).toEqual(m.save());
    expect(() => back.load([1, 2] as never)).toThrow();
  });
});
