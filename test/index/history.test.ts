import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../common/sqlite.ts';
import { freePort } from '../../common/ports.ts';
import { IndexHistory, historyLine, type HistoryPoint } from '../../hub/index/history.ts';

const point = (i: number): HistoryPoint => ({
  compound: 'c0001', district: 'siming', at: Date.UTC(2026, 5, 1) + i, index: 91.5, stars: 5,
  subScores: { crime: 98.2, other: 90, survey: null }, veto: false, downgradeStars: 0, policyVersion: '2026.1',
});

describe('safety_index history', () => {
  it('writes line protocol with integer stars and no null fields', () => {
    expect(historyLine(point(0))).toBe(
      `safety_index,compound=c0001,district=siming,policy=2026.1 index=91.5,stars=5i,veto=false,downgrade=0i,crime=98.2,other=90 ${Date.UTC(2026, 5, 1)}`,
    );
  });

  it('is bounded, counts what it drops, and keeps points while InfluxDB is unreachable', async () => {
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'ss-hist-')), 'h.db'));
    const port = await freePort();
    const h = new IndexHistory(db, { url: `http://127.0.0.1:${port}`, database: 'x' }, { max: 3, timeoutMs: 2000 });
    h.record([0, 1, 2, 3, 4].map(point));
    expect(h.depth()).toBe(3);
    expect(h.dropped).toBe(2);
    await expect(h.flush()).rejects.toThrow();
    expect(h.depth()).toBe(3);
    // A restart finds the queue where it was.
    expect(new IndexHistory(db, undefined).depth()).toBe(3);
    db.close();
  });
});
