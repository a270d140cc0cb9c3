import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Event } from '../../protocol/event.ts';
import { Outbox } from '../../edge/outbox/outbox.ts';
import { GroupCommitter } from '../../edge/pipeline/committer.ts';
import { noopScorer } from '../../edge/pipeline/scorer-port.ts';
import { tempDir } from './helpers.ts';

/**
 * The outbox fsyncs its WAL off the event loop (issue 7): a write is handed to the uplink and
 * acknowledged to the device only after a sync that covers it.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function open(): Outbox {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const ob = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 10_000 });
  cleanups.push(() => ob.close());
  return ob;
}

const row = (i: number) => ({ life: false, at: 1_764_404_102_000 + i, body: `{"i":${i}}` });

describe('outbox durability and sync', () => {
  it('keeps arrival order across chunked inserts and hands out only synced rows', async () => {
    const ob = open();
    ob.write(Array.from({ length: 75 }, (_, i) => row(i)), []);
    expect(ob.next(0, 0, 100, ob.durableSeq())).toEqual([]);
    await ob.sync();
    const rows = ob.next(0, 0, 100, ob.durableSeq());
    expect(rows.map((r) => (JSON.parse(r.body) as { i: number }).i)).toEqual(Array.from({ length: 75 }, (_, i) => i));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.seq).toBeGreaterThan(rows[i - 1]!.seq);
    // A later write is not covered by the earlier sync.
    ob.write([row(75)], []);
    expect(ob.next(rows.at(-1)!.seq, rows.at(-1)!.seq, 10, ob.durableSeq())).toEqual([]);
    await Promise.all([ob.sync(), ob.sync(), ob.sync()]);
    expect(ob.next(rows.at(-1)!.seq, rows.at(-1)!.seq, 10, ob.durableSeq()).map((r) => r.body)).toEqual(['{"i":75}']);
  });

  it('rows already in the file at open are durable', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const a = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 100 });
    a.write([row(1), row(2)], []);
    await a.sync();
    a.close();
    const b = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 100 });
    cleanups.push(() => b.close());
    expect(b.next(0, 0, 10, b.durableSeq())).toHaveLength(2);
  });

  it('the committer acknowledges only after the fsync, and reports a failed fsync as a write error', async () => {
    const ob = open();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const realSync = ob.sync.bind(ob);
    let fail = false;
    ob.sync = async () => {
      await gate;
      if (fail) throw new Error('SS_EDGE_OUTBOX_FSYNC: disk gone');
      return realSync();
    };
    const errors: string[] = [];
    const committed: number[] = [];
    const c = new GroupCommitter({ outbox: ob, scorer: noopScorer, lingerMs: 1, onWriteError: (e) => errors.push(e.message), onCommitted: (ev) => committed.push(ev.length) });
    const ev = (i: number): Event => ({
      v: 1, id: `edge-t1.x.1-${i}`, deviceTime: 1_764_404_102_000, receivedAt: 1_764_404_102_000, district: 'd1', compound: 'c1', edge: 'edge-t1',
      device: 'f1', kind: 'fence', type: 'fence-alarm', severity: 'major', attributes: { zone: 1 },
    });
    let acked: Error | null | undefined;
    c.submit([ev(1)], [], (err) => (acked = err ?? null));
    await new Promise((r) => setTimeout(r, 30));
    expect(ob.depth()).toBe(1); // written…
    expect(acked).toBeUndefined(); // …but no PUBACK before the fsync
    expect(c.pending()).toBe(1);
    release();
    await c.flush();
    expect(acked).toBeNull();
    expect(committed).toEqual([1]);
    expect(c.pending()).toBe(0);

    fail = true;
    let second: Error | null | undefined;
    c.submit([ev(2)], [], (err) => (second = err ?? null));
    await c.flush();
    expect(second?.message).toMatch(/SS_EDGE_OUTBOX_FSYNC/);
    expect(errors).toEqual(['SS_EDGE_OUTBOX_FSYNC: disk gone']);
    expect(committed).toEqual([1]);
  });
});
