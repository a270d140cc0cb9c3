import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../common/sqlite.ts';
import { IndexHistory } from '../../hub/index/history.ts';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { localMidnight } from '../../hub/policy/time.ts';
import { CaseStore } from '../../hub/cases/store.ts';
import { ProblemPoints, type ProblemItem } from '../../hub/cases/problem-points.ts';
import { StateDb } from '../../hub/store/stateDb.ts';
import { smallCity } from './api-helpers.ts';

const tz = defaultPolicy().timezoneOffsetMinutes;
const split = (line: string) => {
  const [series, field, t] = line.split(' ') as [string, string, string];
  return { series, field, t: Number(t) };
};

describe('problems points (共性问题 in InfluxDB)', () => {
  it('one point per item at its local day, rewritten in place; a move zeroes the old point', () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'ss-prob-')), 'p.db'));
    const pp = new ProblemPoints(db, new IndexHistory(db, undefined), () => tz);
    // 31 October 23:30 local (15:30 UTC): the point must stay in October, as /api/insights counts it.
    const lateOct = localMidnight(2026, 11, 1, tz) - 30 * 60_000;
    const item: ProblemItem = { source: 'case', id: 'K-1', district: 'siming', kind: 'fraud-victim', at: lateOct, active: true };
    const [one] = pp.lines(item).map(split);
    const [two] = pp.lines({ ...item, id: 'K-2' }).map(split);
    expect(one!.series).toBe('problems,district=siming,kind=fraud-victim,source=case');
    expect(one!.field).toBe('active=1i');
    expect(one!.t).toBeGreaterThanOrEqual(localMidnight(2026, 10, 31, tz));
    expect(one!.t).toBeLessThan(localMidnight(2026, 11, 1, tz));
    expect(two!.t).not.toBe(one!.t);
    // Withdrawn: the same point again, now 0.
    expect(pp.lines({ ...item, active: false }, item).map(split)).toEqual([{ ...one, field: 'active=0i' }]);
    // Reclassified: the old point is zeroed first, then the new one counts.
    const moved = pp.lines({ ...item, kind: 'burglary' }, item).map(split);
    expect(moved).toEqual([{ ...one, field: 'active=0i' }, { series: 'problems,district=siming,kind=burglary,source=case', field: 'active=1i', t: one!.t }]);
    db.close();
  });

  it('cases stored before the points existed get theirs once, at the first start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-prob-'));
    const state = new StateDb(join(dir, 'state.db'));
    try {
      state.registerCity(smallCity());
      const at = localMidnight(2026, 6, 10, tz);
      const cases = new CaseStore(state.db);
      cases.upsertCase({ id: 'OLD-1', department: 'police', category: 'burglary', compound: 'c0001', occurredAt: at, registeredAt: at, status: 'registered' }, at);
      cases.upsertCase({ id: 'OLD-2', department: 'police', category: 'burglary', compound: 'c0001', occurredAt: at, registeredAt: at, status: 'withdrawn' }, at);
      const problemLines = (e: IndexRating) => (e.history.peek(0, 10_000)?.body ?? '').split('\n').filter((l) => l.startsWith('problems,'));
      const first = new IndexRating({ state, now: () => at }, { manual: true });
      expect(problemLines(first)).toEqual([expect.stringMatching(/^problems,district=siming,kind=burglary,source=case active=1i \d+$/)]);
      first.close();
      const again = new IndexRating({ state, now: () => at }, { manual: true });
      expect(problemLines(again)).toHaveLength(1);
      again.close();
    } finally {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pruned pending alarms are returned, so their points can stop counting', () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'ss-prob-')), 'p.db'));
    const cases = new CaseStore(db);
    for (let i = 0; i < 3; i++) cases.addPendingAlarm({ id: `A-${i}`, compound: 'c0001', device: 'd', type: 'fence-alarm', occurredAt: 1000 + i });
    expect(cases.prunePendingAlarms(1).map((a) => a.id)).toEqual(['A-0', 'A-1']);
    expect(cases.listAlarms({ limit: 10 }).map((a) => a.id)).toEqual(['A-2']);
    db.close();
  });
});
