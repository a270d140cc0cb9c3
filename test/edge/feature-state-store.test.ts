import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../common/sqlite.ts';
import { SqliteFeatureStateStore } from '../../edge/scoring/feature-state-store.ts';
import { FEATURE_STATE_VERSION, FEATURE_VERSION, FeatureExtractor } from '../../models/features.ts';
import { tempDir } from './helpers.ts';

/** The scorer's saved feature memory (issue 14, memory: written in pieces, never one 5-MiB row). */
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const T0 = Date.parse('2026-11-29T16:00:00Z');
function extractor(events: number): FeatureExtractor {
  const fx = new FeatureExtractor();
  for (let i = 0; i < events; i++) {
    fx.push({ deviceTime: T0 + i * 7_000, device: `c0001-acc-0${i % 4}`, compound: 'c0001', kind: 'access', type: i % 9 === 0 ? 'denied' : 'granted', attributes: { card: `k${i % 13}` } });
  }
  return fx;
}

function store(): { s: SqliteFeatureStateStore; file: string } {
  const t = tempDir('safestar-fstate-');
  cleanups.push(t.cleanup);
  const file = join(t.dir, 'outbox.sqlite');
  const s = new SqliteFeatureStateStore(file);
  cleanups.push(() => s.close());
  return { s, file };
}

describe('SqliteFeatureStateStore', () => {
  it('saves a snapshot as pieces and loads exactly it; a later save replaces every piece', () => {
    const { s, file } = store();
    const fx = extractor(300);
    const pieces = [...fx.snapshotChunks(2048)];
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(JSON.stringify(fx.snapshot()));
    s.save(pieces, 1000);
    expect(s.load()).toEqual({ snapshot: fx.snapshot(), savedAt: 1000 });
    const smaller = extractor(20);
    s.save(smaller.snapshotChunks(2048), 2000);
    expect(s.load()).toEqual({ snapshot: smaller.snapshot(), savedAt: 2000 });
    const db = openDb(file);
    expect(db.prepare('SELECT count(*) FROM scorer_state_pieces').pluck().get()).toBe([...smaller.snapshotChunks(2048)].length);
    db.close();
  });

  it('a save that fails half-way leaves the last snapshot whole', () => {
    const { s } = store();
    const fx = extractor(300);
    s.save(fx.snapshotChunks(2048), 1000);
    function* broken(): Generator<string> {
      yield '{"format":';
      throw new Error('the extractor failed');
    }
    expect(() => s.save(broken(), 2000)).toThrow('the extractor failed');
    expect(s.load()).toEqual({ snapshot: fx.snapshot(), savedAt: 1000 });
  });

  it('still reads a snapshot that an older build saved as one row', () => {
    const { s, file } = store();
    const fx = extractor(100);
    const db = openDb(file);
    db.prepare('INSERT INTO scorer_state (k, version, feature_version, saved_at, body) VALUES (?, ?, ?, ?, ?)').run('features', FEATURE_STATE_VERSION, FEATURE_VERSION, 1234, JSON.stringify(fx.snapshot()));
    db.close();
    expect(s.load()).toEqual({ snapshot: fx.snapshot(), savedAt: 1234 });
  });
});
