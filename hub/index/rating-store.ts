import { migrateSqlite } from '../store/sqliteMigrate.ts';
import { preparedCache, type Db, type Prepare } from '../../common/sqlite.ts';
import type { RatingState } from './rating.ts';

/** Stored for an unrated compound (the column predates unrated; the API shows null). */
export const UNRATED_STARS = -1;
const toDb = (stars: number | null): number => (stars === null ? UNRATED_STARS : stars);
const fromDb = (stars: number): number | null => (stars === UNRATED_STARS ? null : stars);

export interface StoredRating {
  compound: string;
  /** null: unrated (not enough data). */
  stars: number | null;
  index: number;
  state: RatingState;
  evaluatedAt: number;
  policyVersion: string;
}

export interface AuditEntry {
  seq: number;
  compound: string;
  at: number;
  /** null: first rating, or unrated before. */
  fromStars: number | null;
  /** null: unrated. */
  toStars: number | null;
  index: number;
  /** 'case:<id>', 'alarm:<id>', 'review', 'tick', 'start'. */
  trigger: string;
  reason: unknown;
  policyVersion: string;
}

/** Published ratings, their review state, and the audit log of every star change. */
export class RatingStore {
  private readonly p: Prepare;

  constructor(readonly db: Db) {
    migrateSqlite(db);
    this.p = preparedCache(db);
  }

  all(): StoredRating[] {
    return this
      .p<[], { compound: string; stars: number; idx: number; state: string; evaluated_at: number; policy_version: string }>('SELECT * FROM index_rating')
      .all()
      .map((r) => ({ compound: r.compound, stars: fromDb(r.stars), index: r.idx, state: JSON.parse(r.state) as RatingState, evaluatedAt: r.evaluated_at, policyVersion: r.policy_version }));
  }

  /** Save a rating and, when its stars changed, the audit entry, in one transaction. */
  save(r: StoredRating, change: Omit<AuditEntry, 'seq'> | null): void {
    this.saveTx ??= this.db.transaction((r: StoredRating, change: Omit<AuditEntry, 'seq'> | null) => this.saveInTx(r, change));
    this.saveTx(r, change);
  }

  private saveTx: ((r: StoredRating, change: Omit<AuditEntry, 'seq'> | null) => void) | undefined;

  private saveInTx(r: StoredRating, change: Omit<AuditEntry, 'seq'> | null): void {
    {
      this
        .p(
          `INSERT INTO index_rating (compound, stars, idx, state, evaluated_at, policy_version) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(compound) DO UPDATE SET stars = excluded.stars, idx = excluded.idx, state = excluded.state,
             evaluated_at = excluded.evaluated_at, policy_version = excluded.policy_version`,
        )
        .run(r.compound, toDb(r.stars), r.index, JSON.stringify(r.state), r.evaluatedAt, r.policyVersion);
      if (change) {
        this.db
          .prepare('INSERT INTO index_audit (compound, at, from_stars, to_stars, idx, trigger, reason, policy_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(change.compound, change.at, change.fromStars === null ? null : toDb(change.fromStars), toDb(change.toStars), change.index, change.trigger, JSON.stringify(change.reason), change.policyVersion);
      }
    }
  }

  audit(compound: string, limit = 100): AuditEntry[] {
    return this
      .p<[string, number], { seq: number; compound: string; at: number; from_stars: number | null; to_stars: number; idx: number; trigger: string; reason: string; policy_version: string }>(
        'SELECT * FROM index_audit WHERE compound = ? ORDER BY seq DESC LIMIT ?',
      )
      .all(compound, limit)
      .map((r) => ({ seq: r.seq, compound: r.compound, at: r.at, fromStars: r.from_stars === null ? null : fromDb(r.from_stars), toStars: fromDb(r.to_stars), index: r.idx, trigger: r.trigger, reason: JSON.parse(r.reason) as unknown, policyVersion: r.policy_version }));
  }

  /** Star changes of the whole city since `from` (ms), newest first (the console's audit and "today"). */
  auditSince(from: number, limit = 100): AuditEntry[] {
    return this
      .p<[number, number], { seq: number; compound: string; at: number; from_stars: number | null; to_stars: number; idx: number; trigger: string; reason: string; policy_version: string }>(
        'SELECT * FROM index_audit WHERE at >= ? ORDER BY seq DESC LIMIT ?',
      )
      .all(from, limit)
      .map((r) => ({ seq: r.seq, compound: r.compound, at: r.at, fromStars: r.from_stars === null ? null : fromDb(r.from_stars), toStars: fromDb(r.to_stars), index: r.idx, trigger: r.trigger, reason: JSON.parse(r.reason) as unknown, policyVersion: r.policy_version }));
  }

  getMeta(key: string): string | undefined {
    return this.p<[string], { value: string }>('SELECT value FROM index_meta WHERE key = ?').get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.p('INSERT INTO index_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Every meta entry whose key starts with `prefix` (the stored review calibrations). */
  metaWithPrefix(prefix: string): { key: string; value: string }[] {
    return this.p<[string, string], { key: string; value: string }>('SELECT key, value FROM index_meta WHERE key >= ? AND key < ? ORDER BY key').all(prefix, `${prefix}\uffff`);
  }
}
