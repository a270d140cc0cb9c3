import type { AlarmRow, AlarmStatus } from '../../cases/store.ts';
import type { DeviceStatus } from './data.ts';
import type { AuditEntry } from '../../index/rating-store.ts';

/**
 * What the console's data routes read, whatever runs them: the embedded hub (source-embedded.ts:
 * the index engine and the hub's context) or a cluster worker (hub/cluster/console-source.ts:
 * PostgreSQL). The routes and the page are the same; only this differs. A figure a mode has no
 * source for is `null` with the reason in `limits`, never a made-up value.
 */
export interface ConsoleRating {
  id: string;
  name: string;
  district: string;
  stars: number | null;
  index: number;
}

/** One star change of the audit log, as the console lists it (the index's own audit entry, fewer fields). */
export type ConsoleAudit = Pick<AuditEntry, 'seq' | 'compound' | 'at' | 'fromStars' | 'toStars' | 'index' | 'trigger'>;

export interface ConsoleEdge {
  id: string;
  connected: boolean;
  since: number | null;
  /** What the edge reports it dead-lettered, per reason. */
  deadLetters: Record<string, number>;
}

export interface ConsoleDeadLetters {
  summary: { reason: string; count: number; lastAt: number }[];
  recent: { id: number; at: number; edge: string; reason: string; detail: string }[];
}

/** A live event for the console's stream: its type says which panels to refresh. */
export interface ConsoleEvent {
  type: 'rating' | 'alarm' | 'deadletters' | 'edge';
  at: number;
  [k: string]: unknown;
}

export interface ConsoleSource {
  /** False while there is nothing to read from (no index engine yet): the routes answer 503. */
  ready(): boolean;
  now(): number;
  /** The city's zone (policy), for "today". */
  timezoneOffsetMinutes(): number;
  ratings(): Promise<ConsoleRating[]>;
  /** District id → name (the city file's names). */
  districtNames(): Promise<ReadonlyMap<string, string>>;
  /** Star changes since `from`, newest first. */
  auditSince(from: number, limit: number): Promise<ConsoleAudit[]>;
  /** Device alarms (the types the index weighs), newest first. */
  alarms(filter: { status?: AlarmStatus; compound?: string; limit: number }): Promise<AlarmRow[]>;
  devices(): Promise<DeviceStatus[]>;
  /** Edges the hub has credentials for, with their compounds. */
  issuedEdges(): Promise<{ id: string; compounds: ReadonlySet<string> }[]>;
  /** Live edge states; null when this process does not hold the edges' connections. */
  edgeStates(): Promise<ConsoleEdge[] | null>;
  deadLetters(recent: number): Promise<ConsoleDeadLetters>;
  /** Live events from the moment it resolves (changes after it are sent); resolves to the unsubscribe function. */
  subscribe(fn: (e: ConsoleEvent) => void): Promise<() => void>;
  /** Why some figures are null or partial in this mode (empty for the embedded hub). */
  limits: Readonly<Record<string, string>>;
}
