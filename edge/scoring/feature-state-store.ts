import { openDb, type Db } from '../../common/sqlite.ts';
import { migrateEdgeDb } from '../outbox/migrations.ts';
import { FEATURE_STATE_VERSION, FEATURE_VERSION, type FeatureSnapshot } from '../../models/features.ts';

/**
 * Where the scorer keeps its feature memory across restarts: tables in the edge's outbox
 * database (`<dataDir>/outbox.sqlite`), so the events and the memory built from them live and
 * get backed up together. A snapshot is one JSON text (~5.5 MiB after 8 min at 2,000 devices),
 * written as pieces (FeatureExtractor.snapshotChunks), one row each in scorer_state_pieces, and
 * replaced whole in one transaction with its scorer_state row, whose version columns let a newer
 * edge refuse an older layout without reading the pieces.
 */
export interface FeatureStatePort {
  load(): { snapshot: FeatureSnapshot; savedAt: number } | undefined;
  /**
   * `pieces`: FeatureExtractor.snapshotChunks() of this edge's FEATURE_STATE_VERSION and
   * FEATURE_VERSION; joined, they are the snapshot's JSON text (see snapshotChunks for why pieces).
   */
  save(pieces: Iterable<string>, savedAt: number): void;
  close?(): void;
}

const KEY = 'features';

export class SqliteFeatureStateStore implements FeatureStatePort {
  private readonly db: Db;
  private readonly own: boolean;

  /** `db`: an open database (shared), or a file path (opened here, closed by `close()`). */
  constructor(db: Db | string) {
    this.own = typeof db === 'string';
    this.db = typeof db === 'string' ? openDb(db) : db;
    // scorer_state is a step of the edge database's numbered schema (edge/outbox/migrations.ts).
    migrateEdgeDb(this.db);
  }

  load(): { snapshot: FeatureSnapshot; savedAt: number } | undefined {
    const row = this.db.prepare('SELECT version, feature_version, saved_at, body FROM scorer_state WHERE k = ?').get(KEY) as
      | { version: number; feature_version: string; saved_at: number; body: string }
      | undefined;
    if (!row) return undefined;
    // Another layout: hand back only the header, FeatureExtractor.restore refuses it with a code.
    if (row.version !== FEATURE_STATE_VERSION || row.feature_version !== FEATURE_VERSION) {
      return { snapshot: { format: 'safestar-feature-state', version: row.version, featureVersion: row.feature_version } as FeatureSnapshot, savedAt: row.saved_at };
    }
    // A body in the row itself: saved by a build before the pieces (schema version 5).
    const text = row.body !== '' ? row.body : (this.db.prepare('SELECT body FROM scorer_state_pieces WHERE k = ? ORDER BY n').pluck().all(KEY) as string[]).join('');
    return { snapshot: JSON.parse(text) as FeatureSnapshot, savedAt: row.saved_at };
  }

  /** All or nothing: a piece that fails to come (or to be written) leaves the last snapshot as it was. */
  save(pieces: Iterable<string>, savedAt: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM scorer_state_pieces WHERE k = ?').run(KEY);
      const put = this.db.prepare('INSERT INTO scorer_state_pieces (k, n, body) VALUES (?, ?, ?)');
      let n = 0;
      for (const piece of pieces) put.run(KEY, n++, piece);
      this.db
        .prepare(`INSERT INTO scorer_state (k, version, feature_version, saved_at, body) VALUES (?, ?, ?, ?, '')
          ON CONFLICT(k) DO UPDATE SET version = excluded.version, feature_version = excluded.feature_version, saved_at = excluded.saved_at, body = ''`)
        .run(KEY, FEATURE_STATE_VERSION, FEATURE_VERSION, savedAt);
    })();
  }

  close(): void {
    if (this.own) this.db.close();
  }
}
