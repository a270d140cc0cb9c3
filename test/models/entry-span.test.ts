import { describe, expect, it } from 'vitest';
import { EntrySpanMemory, MAX_KEYS } from '../../models/entry-span.ts';

const MIN = 60_000;

describe('EntrySpanMemory (f8)', () => {
  it('an open entry spans a forced door: entry ≤ A before the door, leave 5 min – B after it; a leave closes one entry', () => {
    const m = new EntrySpanMemory(10 * MIN, 30 * MIN, 5 * MIN);
    m.enter('cam-1/1', 0);
    m.forced(5 * MIN);
    expect(m.leave('cam-1/2', 6 * MIN)).toBe(false);
    expect(m.leave('cam-1/1', 20 * MIN)).toBe(true);
    expect(m.leave('cam-1/1', 21 * MIN)).toBe(false);
    // A later entry of the same region, the door now 16 min before it: not spanned.
    m.enter('cam-1/1', 21 * MIN);
    expect(m.leave('cam-1/1', 30 * MIN)).toBe(false);
  });

  it('a leave within 5 min of the door is someone passing through, not the pattern', () => {
    const m = new EntrySpanMemory(10 * MIN, 30 * MIN, 5 * MIN);
    m.enter('cam-1/1', 0);
    m.forced(2 * MIN);
    expect(m.leave('cam-1/1', 6 * MIN)).toBe(false);
    m.enter('cam-1/1', 60 * MIN);
    m.forced(62 * MIN);
    expect(m.leave('cam-1/1', 67 * MIN)).toBe(true);
  });

  it('a passer-by leaving the region closes their own entry, not the one still inside', () => {
    const m = new EntrySpanMemory(10 * MIN, 30 * MIN, 5 * MIN);
    m.enter('cam-1/1', 0);
    m.forced(4 * MIN);
    m.enter('cam-1/1', 6 * MIN);
    expect(m.leave('cam-1/1', 7 * MIN)).toBe(false); // 3 min after the door: too soon
    expect(m.leave('cam-1/1', 20 * MIN)).toBe(true); // the first entrant, still in
  });

  it('measures each closed span\'s cover: the forced-door times that would have made it the pattern', () => {
    const m = new EntrySpanMemory(10 * MIN, 30 * MIN, 5 * MIN);
    m.enter('a/1', 0);
    m.leave('a/1', 40_000); // a 40-s pass: no door time fits
    expect(m.coverMs).toBe(0);
    m.enter('a/1', 100 * MIN);
    m.leave('a/1', 108 * MIN); // door in [100, 103]: 3 min
    expect(m.coverMs).toBe(3 * MIN);
    m.enter('a/1', 200 * MIN);
    m.leave('a/1', 220 * MIN); // door in [200, 210] (≥ 5 min and ≤ 30 min before 220): 10 min
    expect(m.coverMs).toBe(10 * MIN);
    m.enter('a/1', 300 * MIN);
    m.leave('a/1', 335 * MIN); // door in [305, 310]: 5 min
    expect(m.coverMs).toBe(5 * MIN);
    m.leave('b/1', 400 * MIN); // a leave with no entry
    expect(m.coverMs).toBe(0);
  });

  it('stays bounded however many camera regions and forced doors it sees, and saves what it keeps', () => {
    const m = new EntrySpanMemory(10 * MIN, 30 * MIN, 5 * MIN);
    for (let i = 0; i < 3 * MAX_KEYS; i++) {
      for (let k = 0; k < 10; k++) m.enter(`cam-${i}/1`, i * 1000 + k);
      m.forced(i * 1000);
    }
    const [forced, open] = m.save();
    expect(forced.length).toBeLessThanOrEqual(8);
    expect(open.length).toBe(MAX_KEYS);
    expect(Math.max(...open.map(([, l]) => l.length))).toBeLessThanOrEqual(4);
    // The newest regions are kept, the longest silent evicted.
    expect(open.at(-1)![0]).toBe(`cam-${3 * MAX_KEYS - 1}/1`);
    const back = new EntrySpanMemory(10 * MIN, 30 * MIN, 5 * MIN);
    back.load(JSON.parse(JSON.stringify(m.save())));
    expect(back.save()).toEqual(m.save());
    expect(() => back.load([1, 2] as never)).toThrow();
  });
});
