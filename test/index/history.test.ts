import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../common/sqlite.ts';
import { freePort } from '../../common/ports.ts';
import { IndexHistory, historyLine, type HistoryPoint } from '../../hub/index/history.ts';
import { startInfluxd } from '../../common/influxd.ts';

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

  it('a safety_index line InfluxDB refuses is dead-lettered alone; the points around and after it are stored (real InfluxDB)', async () => {
    const influxd = await startInfluxd();
    const db = openDb(join(mkdtempSync(join(tmpdir(), 'ss-hist-')), 'h.db'));
    try {
      const database = 'hist_dl';
      await fetch(`${influxd.url}/query?q=${encodeURIComponent(`CREATE DATABASE ${database}`)}`, { method: 'POST' });
      // daysSinceIncident is a string in this shard already: the one point carrying it as an integer conflicts.
      const pre = await fetch(`${influxd.url}/write?db=${database}&precision=ms`, { method: 'POST', body: `safety_index,compound=cX,district=x,policy=p daysSinceIncident="n/a" ${Date.UTC(2026, 5, 1)}` });
      expect(pre.status).toBe(204);
      const h = new IndexHistory(db, { url: influxd.url, database }, { timeoutMs: 5000 });
      h.record([0, 1, 2, 3, 4].map((i) => (i === 2 ? { ...point(i), daysSinceIncident: 12 } : point(i))));
      await h.flush();
      expect(h.depth()).toBe(0);
      expect(h.deadLettered).toBe(1);
      const dead = h.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]?.reason).toBe('SS_DL_INFLUX_REJECTED');
      expect(dead[0]?.line).toContain('daysSinceIncident=12i');
      expect(dead[0]?.detail).toMatch(/field type conflict/);
      // Not stalled: later points go through too.
      h.record([5, 6].map(point));
      await h.flush();
      const r = await fetch(`${influxd.url}/query?db=${database}&q=${encodeURIComponent(`SELECT count("index") FROM safety_index WHERE compound = 'c0001'`)}`);
      const body = (await r.json()) as { results: { series?: { values: [string, number][] }[] }[] };
      expect(body.results[0]?.series?.[0]?.values[0]?.[1]).toBe(6);
      expect(h.written).toBe(6);
      h.stop();
    } finally {
      db.close();
      await influxd.stop();
    }
  }, 120_000);
});
