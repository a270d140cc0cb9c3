import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { EdgeCounters } from '../stats.ts';

/**
 * Prometheus metrics (issue 4: events in/out, outbox depth and age, uplink lag, dead letters by
 * reason, per-kind rates). A registry per edge, not prom-client's global one, so several edges
 * can live in one process (tests, the demo). Values are read from plain counters at scrape time.
 */
export interface MetricsSource {
  counters: EdgeCounters;
  outboxDepth(): number;
  outboxOldestAt(): number | undefined;
  uplink(): { connected: boolean; inflightBatches: number; lastAckAt: number | undefined };
  connections(): number;
  online(): Map<string, { online: number; total: number }>;
  /** Devices known to be offline (HealthTracker.offlineCount). */
  offline(): number;
  clockSuspectDevices(): number;
  clock(): number;
}

function counterFrom(reg: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name, help, registers: [reg],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function labelledCounter(reg: Registry, name: string, help: string, label: string, read: () => Map<string, number>): void {
  new Counter({
    name, help, labelNames: [label], registers: [reg],
    collect() {
      this.reset();
      for (const [k, v] of read()) this.inc({ [label]: k }, v);
    },
  });
}

function gaugeFrom(reg: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name, help, registers: [reg],
    collect() {
      this.set(read());
    },
  });
}

export function createMetrics(src: MetricsSource): Registry {
  const reg = new Registry();
  // Process and Node.js metrics (CPU, memory, event loop lag, GC) on this registry only: once per
  // registry, as prom-client refuses a second registration of the same names.
  collectDefaultMetrics({ register: reg });
  const c = src.counters;
  counterFrom(reg, 'safestar_edge_messages_accepted_total', 'Device messages accepted (PUBACKed), dead letters included', () => c.accepted);
  counterFrom(reg, 'safestar_edge_events_in_total', 'Events written to the outbox', () => c.events);
  counterFrom(reg, 'safestar_edge_events_edge_origin_total', 'Events the edge produced itself (device health)', () => c.edgeEvents);
  counterFrom(reg, 'safestar_edge_events_forwarded_total', 'Events acknowledged by the hub', () => c.forwarded);
  counterFrom(reg, 'safestar_edge_outbox_dropped_total', 'Events deleted by the outbox bound (never life-safety)', () => c.outboxDropped);
  counterFrom(reg, 'safestar_edge_rate_limited_total', 'Device messages slowed by the per-device rate limit', () => c.rateLimited);
  counterFrom(reg, 'safestar_edge_ingest_worker_stops_total', 'Ingest threads that stopped (pipeline.workers); each was restarted and its messages ingested on the main thread', () => c.ingestWorkerStops);
  counterFrom(reg, 'safestar_edge_ingest_retried_total', 'Device messages ingested on the main thread because their ingest thread stopped', () => c.ingestRetried);
  counterFrom(reg, 'safestar_edge_outbox_write_errors_total', 'Group commits that failed (devices got no PUBACK)', () => c.writeErrors);
  counterFrom(reg, 'safestar_edge_clock_suspect_events_total', 'Events stored at edge time because the device clock was beyond the skew bound', () => c.clockSuspect);
  gaugeFrom(reg, 'safestar_edge_devices_clock_suspect', 'Devices whose last event had a suspect clock', () => src.clockSuspectDevices());
  labelledCounter(reg, 'safestar_edge_events_by_kind_total', 'Events written to the outbox by device kind', 'kind', () => c.eventsByKind);
  labelledCounter(reg, 'safestar_edge_deadletters_total', 'Device messages dead-lettered, by reason code', 'code', () => c.deadLettersByCode);
  labelledCounter(reg, 'safestar_edge_refused_total', 'Connections, publishes and subscriptions refused, by code', 'code', () => c.refusedByCode);
  labelledCounter(reg, 'safestar_edge_scorer_misses_total', 'Batches written unscored, by code', 'code', () => c.scorerMissesByCode);
  labelledCounter(reg, 'safestar_edge_events_unscored_total', 'Events written without an anomaly score, by reason code (SS_EDGE_SCORER_SHED: overload policy; _TIMEOUT: stall guard; _ERROR, _OFF, _DEGRADED); every reason shown, 0 included', 'reason', () => c.unscoredByReason);
  gaugeFrom(reg, 'safestar_edge_devices_offline', 'Configured devices known to be offline (declared, or silent past their heartbeats)', () => src.offline());
  gaugeFrom(reg, 'safestar_edge_outbox_depth', 'Events waiting in the outbox', () => src.outboxDepth());
  gaugeFrom(reg, 'safestar_edge_outbox_oldest_age_seconds', 'Age of the oldest event in the outbox (uplink lag)', () => {
    const at = src.outboxOldestAt();
    return at === undefined ? 0 : Math.max(0, (src.clock() - at) / 1000);
  });
  gaugeFrom(reg, 'safestar_edge_uplink_connected', '1 when the hub link is up', () => (src.uplink().connected ? 1 : 0));
  gaugeFrom(reg, 'safestar_edge_uplink_inflight_batches', 'Batches sent and not yet acknowledged', () => src.uplink().inflightBatches);
  gaugeFrom(reg, 'safestar_edge_device_connections', 'Open device connections', () => src.connections());
  new Gauge({
    name: 'safestar_edge_devices_online_ratio', help: 'Online devices / configured devices per compound', labelNames: ['compound'], registers: [reg],
    collect() {
      for (const [compound, v] of src.online()) this.set({ compound }, v.total === 0 ? 0 : v.online / v.total);
    },
  });
  return reg;
}
