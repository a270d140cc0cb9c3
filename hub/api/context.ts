import type { Registry } from 'prom-client';
import type { RatingEngine } from '../rating/types.ts';
import type { DeadLetterRow } from '../store/ingestDb.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** 'up' | 'down' | 'unknown' (not tried yet) | 'disabled' (no InfluxDB configured). */
  influx: 'up' | 'down' | 'unknown' | 'disabled';
  queueDepth: number;
  counters: { received: number; duplicates: number; deadLettered: number; queued: number; written: number };
  /** Why the status is degraded, with codes (empty when ok). */
  problems: string[];
}

/** What the routes need from the hub (injected, so routes are tested with fastify inject). */
export interface ApiContext {
  health(): HealthReport | Promise<HealthReport>;
  rating: RatingEngine;
  deadLetters(limit: number, reason?: string): DeadLetterRow[];
  /** True when the Authorization header carries an operator token (absent: nobody is). */
  isOperator?: (authorization: string | undefined) => boolean;
  metrics: Registry;
  /** Where each compound is (the map, the plaque page); absent coordinates read as null. */
  locations(): ReadonlyMap<string, { lat: number | null; lon: number | null }>;
}
