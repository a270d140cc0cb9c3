/**
 * Plain counters the hot path bumps (a property increment, no label lookups); /metrics and
 * `Edge.stats()` read them. Maps are keyed by stable codes or kinds, so they stay small.
 */
export interface EdgeCounters {
  /** Device messages accepted (acknowledged) by the edge, dead-lettered ones included. */
  accepted: number;
  /** Events written to the outbox (device and edge origin). */
  events: number;
  /** Of those, events the edge itself produced (health changes). */
  edgeEvents: number;
  deadLettered: number;
  /** Events the hub acknowledged. */
  forwarded: number;
  /** Events the outbox bound deleted before they were forwarded. */
  outboxDropped: number;
  rateLimited: number;
  writeErrors: number;
  /** Ingest threads that stopped (pipeline.workers), and messages then ingested on the main thread instead. */
  ingestWorkerStops: number;
  ingestRetried: number;
  /** Events stored at edge time because the device clock was off by more than the policy bound. */
  clockSuspect: number;
  eventsByKind: Map<string, number>;
  deadLettersByCode: Map<string, number>;
  refusedByCode: Map<string, number>;
  scorerMissesByCode: Map<string, number>;
  /** Events written without an anomaly score, by why (shed, scorer timeout, error, off, degraded); every reason present from the start, at 0. */
  unscoredByReason: Map<string, number>;
}

/** Every reason an event can be written unscored: /metrics and /health show each, 0 included, so "none" is visible. */
export const UNSCORED_REASONS = ['SS_EDGE_SCORER_SHED', 'SS_EDGE_SCORER_TIMEOUT', 'SS_EDGE_SCORER_ERROR', 'SS_EDGE_SCORER_OFF', 'SS_EDGE_SCORER_DEGRADED'] as const;

export function newCounters(): EdgeCounters {
  return {
    accepted: 0, events: 0, edgeEvents: 0, deadLettered: 0, forwarded: 0, outboxDropped: 0, rateLimited: 0, writeErrors: 0, ingestWorkerStops: 0, ingestRetried: 0, clockSuspect: 0,
    eventsByKind: new Map(), deadLettersByCode: new Map(), refusedByCode: new Map(), scorerMissesByCode: new Map(), unscoredByReason: new Map(UNSCORED_REASONS.map((r) => [r, 0])),
  };
}

export function bump(m: Map<string, number>, key: string, by = 1): void {
  m.set(key, (m.get(key) ?? 0) + by);
}
