import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeatureSnapshot } from '../../models/features.ts';
import type { Event } from '../../protocol/event.ts';
import { startEdge } from '../../edge/edge.ts';
import { DEFAULT_MODEL } from '../../edge/main.ts';
import { Outbox } from '../../edge/outbox/outbox.ts';
import { GroupCommitter } from '../../edge/pipeline/committer.ts';
import type { UnscoredCode } from '../../edge/pipeline/scorer-port.ts';
import { createOnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import { device, siteConfig, startHubStandIn, tempDir } from './helpers.ts';

/**
 * Issue 14: the scorer never skips silently, and under overload the edge sheds scoring by its
 * stated policy (a group commit above `shedAboveEvents`: life-safety events still scored, the
 * rest get feature memory only), counted per event, instead of by a timeout.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const T0 = 1_764_404_102_000;
const ev = (i: number, type: 'arm' | 'wire-cut' = 'arm'): Event => ({
  v: 1, id: `edge-t1.x.1-${i}`, deviceTime: T0 + i * 1000, receivedAt: T0 + i * 1000, district: 'd1', compound: 'c1', edge: 'edge-t1',
  device: `f${i % 3}`, kind: 'fence', type, severity: type === 'wire-cut' ? 'critical' : 'info', attributes: { zone: 1 },
});

async function setup(shedAboveEvents: number): Promise<{ committer: GroupCommitter; outbox: Outbox; misses: [UnscoredCode, number][]; saved: () => FeatureSnapshot | undefined; unscored: () => number }> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const outbox = new Outbox(join(t.dir, 'o.sqlite'), { maxEvents: 10_000 });
  cleanups.push(() => outbox.close());
  let snap: FeatureSnapshot | undefined;
  const scorer = await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false, state: { load: () => undefined, save: (pieces) => void (snap = JSON.parse([...pieces].join('')) as FeatureSnapshot) } });
  cleanups.push(() => scorer.close());
  const misses: [UnscoredCode, number][] = [];
  // A long linger: everything submitted below lands in one group commit.
  const committer = new GroupCommitter({ outbox, scorer, lingerMs: 50, shedAboveEvents, onScorerMiss: (code, n) => misses.push([code, n]) });
  return {
    committer, outbox, misses,
    saved: () => {
      scorer.saveState();
      return snap;
    },
    unscored: () => scorer.status().unscored,
  };
}

const submit = (c: GroupCommitter, events: Event[]): Promise<void> => new Promise((r, j) => c.submit(events, [], (e) => (e ? j(e) : r())));
const bodies = (o: Outbox): Event[] => o.next(0, 0, 1000).map((r) => JSON.parse(r.body) as Event);

describe('scorer shedding', () => {
  it('scores every event of a commit at or below the bound', async () => {
    const { committer, outbox, misses } = await setup(12);
    await submit(committer, Array.from({ length: 12 }, (_, i) => ev(i)));
    expect(bodies(outbox).filter((e) => e.score !== undefined)).toHaveLength(12);
    expect(misses).toEqual([]);
  });

  it('above the bound: scores life-safety events, sheds the rest by count, keeps feature memory of all', async () => {
    const { committer, outbox, misses, saved, unscored } = await setup(5);
    const events = Array.from({ length: 12 }, (_, i) => ev(i, i === 4 || i === 9 ? 'wire-cut' : 'arm'));
    await submit(committer, events);
    const rows = bodies(outbox);
    expect(rows).toHaveLength(12);
    expect(rows.filter((e) => e.score !== undefined).map((e) => e.type)).toEqual(['wire-cut', 'wire-cut']);
    expect(misses).toEqual([['SS_EDGE_SCORER_SHED', 10]]);
    expect(unscored()).toBe(10);
    // The windows saw every event, shed or not: all three devices are remembered.
    expect(saved()?.devices.map(([id]) => id).sort()).toEqual(['f0', 'f1', 'f2']);
  });

  it('shows every unscored reason at 0 in /metrics and /health before anything happens', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const edge = await startEdge(siteConfig(t.dir, hub.url, [device('f1')]));
    cleanups.push(() => edge.close());
    const metrics = await (await fetch(`${edge.apiUrl}/metrics`)).text();
    for (const r of ['SHED', 'TIMEOUT', 'ERROR', 'OFF', 'DEGRADED']) expect(metrics).toContain(`safestar_edge_events_unscored_total{reason="SS_EDGE_SCORER_${r}"} 0`);
    const h = (await (await fetch(`${edge.apiUrl}/health`)).json()) as { unscored: Record<string, number> };
    expect(h.unscored).toEqual({ SS_EDGE_SCORER_SHED: 0, SS_EDGE_SCORER_TIMEOUT: 0, SS_EDGE_SCORER_ERROR: 0, SS_EDGE_SCORER_OFF: 0, SS_EDGE_SCORER_DEGRADED: 0 });
  });
});
