import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Event } from '../../protocol/event.ts';
import { Outbox } from '../../edge/outbox/outbox.ts';
import { GroupCommitter } from '../../edge/pipeline/committer.ts';
import type { Scorer } from '../../edge/pipeline/scorer-port.ts';
import { tempDir } from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const ev = (i: number): Event => ({
  v: 1, id: `edge-t1.x.1-${i}`, deviceTime: 1_764_404_102_000, receivedAt: 1_764_404_102_000, district: 'd1', compound: 'c1', edge: 'edge-t1',
  device: 'f1', kind: 'fence', type: 'fence-alarm', severity: 'major', attributes: { zone: 1 },
});

function setup(scorer: Scorer): { committer: GroupCommitter; outbox: Outbox; misses: string[] } {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const outbox = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 1000 });
  cleanups.push(() => outbox.close());
  const misses: string[] = [];
  const committer = new GroupCommitter({ outbox, scorer, scoreTimeoutMs: 50, onScorerMiss: (code) => misses.push(code) });
  return { committer, outbox, misses };
}

const bodies = (o: Outbox): Event[] => o.next(0, 0, 100).map((r) => JSON.parse(r.body) as Event);
const submit = (c: GroupCommitter, events: Event[]): Promise<void> => new Promise((r, j) => c.submit(events, [], (e) => (e ? j(e) : r())));

describe('scorer port in the group commit', () => {
  it('stores the scores a scorer sets, one call per micro-batch', async () => {
    let calls = 0;
    const { committer, outbox } = setup({
      async scoreBatch(events) {
        calls++;
        for (const e of events) e.score = { value: 0.9, threshold: 0.5, model: 'test-v1', anomalous: true };
      },
      status: () => ({ state: 'ok', model: 'test-v1' }),
    });
    await Promise.all([submit(committer, [ev(1)]), submit(committer, [ev(2), ev(3)])]);
    expect(calls).toBe(1);
    expect(bodies(outbox).map((e) => e.score?.model)).toEqual(['test-v1', 'test-v1', 'test-v1']);
  });

  it('writes unscored (and counts it) when the scorer is too slow or throws; never blocks the PUBACK', async () => {
    const slow = setup({ scoreBatch: () => new Promise((r) => setTimeout(r, 5000)), status: () => ({ state: 'degraded' }) });
    await submit(slow.committer, [ev(1)]);
    expect(bodies(slow.outbox)).toHaveLength(1);
    expect(bodies(slow.outbox)[0]?.score).toBeUndefined();
    expect(slow.misses).toEqual(['SS_EDGE_SCORER_TIMEOUT']);
    const broken = setup({ scoreBatch: () => Promise.reject(new Error('onnx exploded')), status: () => ({ state: 'degraded' }) });
    await submit(broken.committer, [ev(2)]);
    expect(bodies(broken.outbox)).toHaveLength(1);
    expect(broken.misses).toEqual(['SS_EDGE_SCORER_ERROR']);
  });

  it('removes a score that would make the event invalid and keeps the event', async () => {
    const { committer, outbox, misses } = setup({
      async scoreBatch(events) {
        for (const e of events) e.score = { value: Number.NaN, threshold: 0.5, model: 'x', anomalous: false };
      },
      status: () => ({ state: 'ok' }),
    });
    await submit(committer, [ev(1)]);
    expect(bodies(outbox)[0]?.score).toBeUndefined();
    expect(misses).toEqual(['SS_EDGE_SCORER_ERROR']);
  });
});
