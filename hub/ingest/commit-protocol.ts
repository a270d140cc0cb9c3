import type { FieldType } from '../store/fields.ts';
import type { DeadLetterDraft } from './parse.ts';
import type { LineBatch, LineCommitResult } from '../store/ingestDb.ts';

/** Main thread → commit thread. Every request with an `id` gets exactly one reply with that id. */
export type ToCommitThread =
  | { t: 'commit'; id: number; batches: LineBatch[]; fields: Array<[string, FieldType]>; at: number }
  | { t: 'deadLetters'; id: number; items: DeadLetterDraft[]; at: number }
  | { t: 'ack'; id: number; ranges: Array<[number, number]> }
  | { t: 'prune'; id: number; seenBefore: number; keepDeadLetters: number }
  | { t: 'close'; id: number };

/** Commit thread → main thread. */
export type FromCommitThread =
  | { t: 'ready' }
  | { t: 'done'; id: number; results?: LineCommitResult[]; chunks?: Array<[number, number]> }
  | { t: 'failed'; id: number; message: string };
