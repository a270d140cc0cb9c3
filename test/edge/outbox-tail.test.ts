import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxRow } from '../../edge/outbox/outbox.ts';
import { FreshTail } from '../../edge/outbox/fresh-tail.ts';
import { tempDir } from './helpers.ts';

/**
 * The uplink takes freshly committed rows from memory (fresh-tail.ts) instead of reading them
 * back from SQLite (issue 14). Whatever the mix of writes, bound drops, acks and cursor rewinds,
 * `next()` must return exactly what the SQLite table holds.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function open(maxEvents: number, file?: string): { ob: Outbox; file: string } {
  let f = file;
  if (!f) {
    const t = tempDir();
    cleanups.push(t.cleanup);
    f = join(t.dir, 'o.sqlite');
  }
  const ob = new Outbox(f, { maxEvents });
  cleanups.push(() => ob.close());
  return { ob, file: f };
}

/** The truth: the same query the outbox used before it kept a tail in memory. */
function fromSqlite(ob: Outbox, lifeCursor: number, normalCursor: number, limit: number, upTo: number): OutboxRow[] {
  const q = ob.db.prepare('SELECT seq, body, life FROM outbox WHERE life = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?');
  const life = (q.all(1, lifeCursor, upTo, limit) as { seq: number; body: string }[]).map((r) => ({ seq: r.seq, body: r.body, life: true }));
  const normal = (q.all(0, normalCursor, upTo, limit - life.length) as { seq: number; body: string }[]).map((r) => ({ seq: r.seq, body: r.body, life: false }));
  return [...life, ...normal];
}

let n = 0;
const row = (life: boolean) => {
  n++;
  return { life, at: 1_764_404_102_000 + n, body: `{"n":${n}}` };
};

type Op = { op: 'write'; rows: boolean[] } | { op: 'sync' } | { op: 'send'; limit: number } | { op: 'ack' } | { op: 'rewind' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('write' as const), rows: fc.array(fc.integer({ min: 0, max: 3 }).map((x) => x === 0), { minLength: 1, maxLength: 70 }) }),
  fc.constant({ op: 'sync' as const }),
  fc.record({ op: fc.constant('send' as const), limit: fc.integer({ min: 1, max: 80 }) }),
  fc.constant({ op: 'ack' as const }),
  fc.constant({ op: 'rewind' as const }),
);

describe('outbox fresh tail', () => {
  it('next() equals a SQLite read after any mix of writes, syncs, sends, acks, rewinds and bound drops', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 20, max: 400 }), async (ops, bound) => {
        const { ob } = open(bound);
        let life = 0;
        let normal = 0;
        const inflight: OutboxRow[][] = [];
        for (const o of ops) {
          if (o.op === 'write') ob.write(o.rows.map((l) => row(l)), []);
          else if (o.op === 'sync') await ob.sync();
          else if (o.op === 'send') {
            const got = ob.next(life, normal, o.limit, ob.durableSeq());
            expect(got).toEqual(fromSqlite(ob, life, normal, o.limit, ob.durableSeq()));
            for (const r of got) {
              if (r.life) life = Math.max(life, r.seq);
              else normal = Math.max(normal, r.seq);
            }
            if (got.length) inflight.push(got);
          } else if (o.op === 'ack') {
            const b = inflight.shift();
            if (b) ob.remove(b);
          } else {
            // The uplink rewinds both cursors when mqtt.js gives a batch up.
            life = 0;
            normal = 0;
            inflight.length = 0;
          }
        }
        await ob.sync();
        expect(ob.next(life, normal, 100_000, ob.durableSeq())).toEqual(fromSqlite(ob, life, normal, 100_000, ob.durableSeq()));
        ob.close();
      }),
      { numRuns: 100 },
    );
  });

  it('rows from an earlier run come from SQLite, new ones after them from memory, in seq order', async () => {
    const a = open(1000);
    a.ob.write([row(false), row(true), row(false)], []);
    await a.ob.sync();
    a.ob.close();
    const b = open(1000, a.file);
    b.ob.write([row(false), row(true)], []);
    await b.ob.sync();
    const all = b.ob.next(0, 0, 100, b.ob.durableSeq());
    expect(all).toEqual(fromSqlite(b.ob, 0, 0, 100, b.ob.durableSeq()));
    expect(all.filter((r) => r.life)).toHaveLength(2);
    expect(all.filter((r) => !r.life)).toHaveLength(3);
  });

  it('after an ack and a rewind, deleted rows are not sent again (found by the property above)', async () => {
    const { ob } = open(20);
    ob.write([row(false)], []);
    await ob.sync();
    const sent = ob.next(0, 0, 1, ob.durableSeq());
    expect(sent).toHaveLength(1);
    ob.remove(sent);
    expect(ob.next(0, 0, 10, ob.durableSeq())).toEqual([]);
  });

  it('a tail vouches only for rows above what it dropped, reset or was told to start from', () => {
    const t = new FreshTail(10, 3);
    expect(t.take(5, 100, 10)).toBeUndefined(); // rows 6..10 may exist: read SQLite
    for (const seq of [11, 12, 13, 14]) t.push({ seq, body: '{}', life: false });
    expect(t.size()).toBe(3); // 11 pushed out by the bound
    expect(t.take(10, 100, 10)).toBeUndefined();
    expect(t.take(11, 13, 10)!.map((r) => r.seq)).toEqual([12, 13]);
    expect(t.take(13, 100, 10)!.map((r) => r.seq)).toEqual([14]);
    t.reset(20);
    expect(t.take(14, 100, 10)).toBeUndefined();
    expect(t.take(20, 100, 10)).toEqual([]);
    t.push({ seq: 21, body: '{}', life: false });
    t.push({ seq: 22, body: '{}', life: false });
    t.forget(21);
    expect(t.take(20, 100, 10)).toBeUndefined();
    expect(t.take(21, 100, 10)!.map((r) => r.seq)).toEqual([22]);
  });
});
