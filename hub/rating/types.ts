import type { Event } from '../../protocol/event.ts';

/** What the API shows for one compound (GET /api/compounds, /api/compounds/:id). */
export interface CompoundRating {
  id: string;
  name: string;
  district: string;
  households: number;
  /** 0–100, higher is safer. */
  index: number;
  /** 0–5; null when the compound is unrated (not enough data: no survey, device or case). */
  stars: number | null;
  /** False when unrated; shown as such on the map and plaque and counted apart in the shares. */
  rated?: boolean;
  /** ISO 8601: when the inputs of this rating last changed. */
  updatedAt: string;
  /** Optional detail (sub-scores etc.); engines add what they can explain. */
  detail?: Record<string, unknown>;
}

/**
 * The hub's rating seam, implemented by the safety-index engine (hub/index/hub-rating.ts), the
 * one engine users run. Calls are synchronous and cheap: onEvents runs on the ingest path right
 * after the group commit.
 */
export interface RatingEngine {
  /** Accepted (deduplicated, durable) events, in arrival order. */
  onEvents(events: readonly Event[]): void;
  get(id: string): CompoundRating | undefined;
  list(): CompoundRating[];
  /** Devices heard from and now offline (engines that track device health; /metrics). */
  devicesOffline?(): number;
  /** Persist in-memory aggregates (called periodically and on close). */
  persist?(): void;
  close?(): void;
}
