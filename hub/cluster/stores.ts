import type { City } from '../../protocol/city.ts';
import type { CommitResult, DeadLetterRow, IngestDb, PendingBatch } from '../store/ingestDb.ts';
import type { CompoundRow, DeviceRow, StateDb } from '../store/stateDb.ts';
import type { DeadLetterDraft } from '../ingest/parse.ts';

/**
 * The store interfaces both backends implement: SQLite (the embedded default, hub/store/stateDb.ts
 * and ingestDb.ts, wrapped below) and PostgreSQL (hub/store/pgState.ts, pgIngest.ts, for cluster
 * mode). Async because PostgreSQL is; the SQLite calls stay synchronous underneath. One contract
 * suite (test/contracts/) runs against both.
 */
export interface StateStore {
  registerCity(city: City): Promise<void>;
  /** Add compounds/devices learned from events; existing rows win. */
  addLearned(compounds: readonly CompoundRow[], devices: readonly DeviceRow[]): Promise<void>;
  compounds(): Promise<CompoundRow[]>;
  /** Devices ordered by (compound, id), streamed: a city has 100,000. */
  devices(): AsyncIterable<DeviceRow>;
  getKv(key: string): Promise<string | undefined>;
  setKv(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Dedupe and dead letters. commit() dedupes and stores in one transaction; in SQLite it also
 * queues the line protocol (the embedded durable queue), in cluster mode the queue is JetStream.
 */
export interface IngestStore {
  commit(batches: readonly PendingBatch[]): Promise<CommitResult[]>;
  addDeadLetters(items: readonly DeadLetterDraft[]): Promise<void>;
  deadLetters(limit: number, reason?: string): Promise<DeadLetterRow[]>;
  deadLetterCount(): Promise<number>;
  /** Forget ids accepted before olderThanMs, looking at no more than maxRows per call. */
  pruneSeen(olderThanMs: number, maxRows?: number): Promise<number>;
  pruneDeadLetters(keep: number): Promise<number>;
  close(): Promise<void>;
}

export function sqliteStateStore(db: StateDb): StateStore {
  return {
    registerCity: async (city) => db.registerCity(city),
    addLearned: async (c, d) => db.addLearned(c, d),
    compounds: async () => db.compounds(),
    devices: async function* () {
      yield* db.devices();
    },
    getKv: async (k) => db.getKv(k),
    setKv: async (k, v) => db.setKv(k, v),
    close: async () => db.close(),
  };
}

export function sqliteIngestStore(db: IngestDb): IngestStore {
  return {
    commit: async (b) => db.commit(b),
    addDeadLetters: async (d) => db.addDeadLetters(d),
    deadLetters: async (l, r) => db.deadLetters(l, r),
    deadLetterCount: async () => db.deadLetterCount(),
    pruneSeen: async (t, m) => db.pruneSeen(t, m),
    pruneDeadLetters: async (k) => db.pruneDeadLetters(k),
    close: async () => db.close(),
  };
}
