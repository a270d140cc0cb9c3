/**
 * How long the hub remembers what, in one place for both modes: the embedded hub's defaults
 * (hub/hub.ts, its ingest pruning every minute) and the cluster's pruning coordinator
 * (hub/cluster/pruning.ts), so the same events are deduplicated for the same time in both.
 */

/** Event ids are remembered for dedupe this long (ms): 7 days. */
export const DEDUPE_RETENTION_MS = 7 * 86_400_000;
/** Dead-letter records kept (the oldest go; counters keep the totals). */
export const DEAD_LETTERS_KEPT = 100_000;
