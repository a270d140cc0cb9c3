import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommitter, type CommitStore } from '../../hub/ingest/committer.ts';
import { DurableIngest } from '../../hub/ingest/durable.ts';
import { IngestDb, type CommitResult, type PendingBatch } from '../../hub/store/ingestDb.ts';
import { makeEvent, tempDir } from './helpers.ts';

const open: DurableIngest[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});
async function ingestAt(file: string): Promise<DurableIngest> {
  const d = await DurableIngest.open(file, () => Date.UTC(2026, 10, 29));
  open.push(d);
  return d;
}

describe('the commit thread (ingest.db written off the event loop)', () => {
  it('stores each event once: a resent batch comes back as duplicates, and the queue holds one line per event', async () => {
    const file = join(tempDir(), 'ingest.db');
    const d = await ingestAt(file);
    const events = [makeEvent(1), makeEvent(2), makeEvent(3)];
    const [first] = await d.commit([{ events, deadLetters: [{ edge: 'edge-1', reason: 'SS_DL_JSON', detail: 'bad', raw: '{' }] }]);
    expect(first!.accepted.map((e) => e.id)).toEqual(events.map((e) => e.id));
    const [again, mixed] = await d.commit([{ events, deadLetters: [] }, { events: [makeEvent(2), makeEvent(4)], deadLetters: [] }]);
    expect(again).toEqual({ accepted: [], duplicates: 3 });
    expect(mixed!.accepted.map((e) => e.id)).toEqual([makeEvent(4).id]);
    expect(mixed!.duplicates).toBe(1);
    expect(d.queueDepth()).toBe(4);
    // The read side sees what the commit thread made durable, as soon as the commit resolved.
    const slice = d.peek(0, 100)!;
    expect(slice.n).toBe(4);
    expect(slice.body.split('\n').map((l) => /id="([^"]+)"/.exec(l)?.[1])).toEqual([1, 2, 3, 4].map((i) => makeEvent(i).id));
    expect(d.deadLetters(10).map((r) => r.reason)).toEqual(['SS_DL_JSON']);
    d.ack(slice);
    expect(d.queueDepth()).toBe(0);
    await d.close();
    open.pop();
    // After a restart: the acked rows are gone, the dedupe memory and field types stayed.
    const back = await ingestAt(file);
    expect(back.queueDepth()).toBe(0);
    expect(back.peek(0, 100)).toBeUndefined();
    const [replay] = await back.commit([{ events: [makeEvent(1)], deadLetters: [] }]);
    expect(replay!.duplicates).toBe(1);
  });

  it('hands the writer the rows it just committed exactly as they are on disk (chunks, order, duplicates left out)', async () => {
    const file = join(tempDir(), 'ingest.db');
    const d = await ingestAt(file);
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => makeEvent(from + i));
    await d.commit([{ events: many(0, 700), deadLetters: [] }, { events: many(650, 400), deadLetters: [] }]);
    await d.commit([{ events: many(1000, 30), deadLetters: [] }]); // all already stored: no rows
    const disk = new IngestDb(file);
    try {
      for (const [after, max] of [[0, 5000], [0, 600], [1, 5000], [2, 500]] as const) {
        expect(d.peek(after, max)).toEqual(disk.peek(after, max));
      }
      const all = d.peek(0, 5000)!;
      expect(all.n).toBe(1050);
      d.ack(all);
      expect(d.peek(all.toId, 5000)).toBeUndefined();
    } finally {
      disk.close();
    }
  });

  it('rejects a commit it could not make durable (nothing stored, nothing counted), then works again', async () => {
    const file = join(tempDir(), 'ingest.db');
    const d = await ingestAt(file);
    // Another connection holds the write lock past the busy timeout: the commit must fail, not hang or half-succeed.
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    await expect(d.commit([{ events: [makeEvent(1, { attributes: { newField: 5 } })], deadLetters: [] }])).rejects.toThrow(/SQLITE_BUSY|locked/i);
    expect(d.queueDepth()).toBe(0);
    other.exec('ROLLBACK');
    other.close();
    const [ok] = await d.commit([{ events: [makeEvent(1, { attributes: { newField: 5 } })], deadLetters: [] }]);
    expect(ok!.accepted).toHaveLength(1);
    expect(d.peek(0, 10)!.body).toContain('newField=5i');
  }, 30_000);

  it('fails the commits in flight when the commit thread dies, and starts a new one for the next', async () => {
    const errors: string[] = [];
    const d = await DurableIngest.open(join(tempDir(), 'ingest.db'), () => Date.UTC(2026, 10, 29), (m) => errors.push(m));
    open.push(d);
    await d.commit([{ events: [makeEvent(1)], deadLetters: [] }]);
    const thread = (d as unknown as { worker: Worker }).worker;
    const inFlight = d.commit([{ events: [makeEvent(2)], deadLetters: [] }]);
    await thread.terminate();
    // Either it was durable before the thread died, or it was refused: never silently lost.
    const outcome = await inFlight.then(() => 'stored', (e: Error) => e.message);
    const [next] = await d.commit([{ events: [makeEvent(2), makeEvent(3)], deadLetters: [] }]);
    expect(errors.length).toBe(1);
    if (outcome === 'stored') expect(next!.duplicates).toBe(1);
    else expect(outcome).toMatch(/SS_HUB_COMMIT|commit thread stopped/);
    // Refused may still mean durable (the thread died after its fsync, before its reply): the edge
    // resends and the resend is a duplicate. Either way each event is stored exactly once.
    expect(next!.accepted.length + next!.duplicates).toBe(2);
    let lines = 0;
    for (let s = d.peek(0, 10); s; s = d.peek(s.toId, 10)) lines += s.n;
    expect(lines).toBe(3);
  });
});

/** A store whose commits finish when the test says so (the group committer's logic only). */
class HeldStore implements CommitStore {
  readonly calls: Array<{ batches: readonly PendingBatch[]; finish: (ok: boolean) => void }> = [];
  commit(batches: readonly PendingBatch[]): Promise<CommitResult[]> {
    return new Promise((resolve, reject) => {
      this.calls.push({ batches, finish: (ok) => (ok ? resolve(batches.map((b) => ({ accepted: [...b.events], duplicates: 0 }))) : reject(new Error('disk full'))) });
    });
  }
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('group commit with one group in flight', () => {
  it('gathers batches while a commit runs and sends them together when it is durable; callbacks only after', async () => {
    const store = new HeldStore();
    const committed: number[] = [];
    const c = new GroupCommitter(store, { windowMs: 1, maxEvents: 1000 }, (b) => committed.push(b.length));
    const done: Array<string> = [];
    c.submit({ events: [makeEvent(1)], deadLetters: [] }, (e) => done.push(e ? 'err' : 'a'));
    await until(() => store.calls.length === 1);
    c.submit({ events: [makeEvent(2)], deadLetters: [] }, (e) => done.push(e ? 'err' : 'b'));
    c.submit({ events: [makeEvent(3)], deadLetters: [] }, (e) => done.push(e ? 'err' : 'c'));
    expect(store.calls).toHaveLength(1);
    expect(c.pending()).toBe(3);
    expect(done).toEqual([]);
    store.calls[0]!.finish(true);
    await until(() => store.calls.length === 2);
    expect(done).toEqual(['a']);
    expect(store.calls[1]!.batches).toHaveLength(2);
    store.calls[1]!.finish(false);
    await until(() => done.length === 3);
    expect(done).toEqual(['a', 'err', 'err']);
    expect(committed).toEqual([1]);
    const settled = c.settle();
    await settled;
    expect(c.pending()).toBe(0);
  });
});
