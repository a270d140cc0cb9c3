import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the domain gauges read at scrape time (late-bound: the broker starts after the metrics). */
export interface HubGaugeSource {
  /** Star values of every compound (null = unrated). */
  stars(): Iterable<number | null>;
  edgesConnected(): number;
  devicesOffline(): number | undefined;
  /** Seconds from the edge's receive time of the newest event to its rating, for the last rated batch. */
  ratingLagSeconds(): number;
}

/** Every `stars` label value, so a share that drops to zero still shows as 0, not as a missing series. */
export const STAR_LABELS = ['0', '1', '2', '3', '4', '5', 'unrated'] as const;

/**
 * Prometheus metrics of one hub (own registry: several hubs may share a process in tests). The
 * default process metrics go on that registry too: once per registry, which is once per hub.
 */
export function createHubMetrics(queueDepth: () => number, influxUp: () => number, domain?: HubGaugeSource) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (domain) domainGauges(registry, domain);
  const received = new Counter({ name: 'safestar_hub_events_received_total', help: 'Event items received in uplink batches (good, bad and duplicate)', registers: [registry] });
  const duplicates = new Counter({ name: 'safestar_hub_events_duplicate_total', help: 'Events dropped because their id was already accepted', registers: [registry] });
  const deadLetters = new Counter({ name: 'safestar_hub_deadletters_total', help: 'Dead-letter records by reason code', labelNames: ['reason'], registers: [registry] });
  const written = new Counter({ name: 'safestar_hub_events_written_total', help: 'Points InfluxDB acknowledged', registers: [registry] });
  const refused = new Counter({ name: 'safestar_hub_mqtt_refused_total', help: 'MQTT connections, packets and publishes the hub refused, by code (SS_HUB_EDGE_AUTH, SS_HUB_MQTT_PACKET_SIZE, …)', labelNames: ['code'], registers: [registry] });
  const batches = new Counter({ name: 'safestar_hub_batches_total', help: 'Uplink batches committed', registers: [registry] });
  const writeSeconds = new Histogram({
    name: 'safestar_hub_influx_write_seconds',
    help: 'Latency of one InfluxDB write request (including retries)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({ name: 'safestar_hub_queue_depth', help: 'Events in the durable queue waiting for InfluxDB', registers: [registry], collect() { this.set(queueDepth()); } });
  new Gauge({ name: 'safestar_hub_influx_up', help: '1 when InfluxDB answers, 0 when not, -1 when none is configured', registers: [registry], collect() { this.set(influxUp()); } });
  return { registry, refused, received, duplicates, deadLetters, written, batches, writeSeconds };
}

export type HubMetrics = ReturnType<typeof createHubMetrics>;

function domainGauges(registry: Registry, d: HubGaugeSource): void {
  new Gauge({
    name: 'safestar_hub_compounds', help: 'Compounds by their current stars (unrated: not enough data)', labelNames: ['stars'], registers: [registry],
    collect() {
      const n = new Map<string, number>(STAR_LABELS.map((l) => [l, 0]));
      for (const s of d.stars()) {
        const k = s === null ? 'unrated' : String(s);
        n.set(k, (n.get(k) ?? 0) + 1);
      }
      for (const [stars, v] of n) this.set({ stars }, v);
    },
  });
  new Gauge({ name: 'safestar_hub_edges_connected', help: 'Edges with an open MQTT session to this hub', registers: [registry], collect() { this.set(d.edgesConnected()); } });
  new Gauge({
    name: 'safestar_hub_devices_offline', help: 'Devices the hub has heard from that are now offline (said so, or silent past 3 heartbeats)', registers: [registry],
    collect() { this.set(d.devicesOffline() ?? 0); },
  });
  new Gauge({
    name: 'safestar_hub_rating_lag_seconds', help: "Edge receive time of the newest event to its rating, for the last rated batch (the ratings' delay behind the devices)", registers: [registry],
    collect() { this.set(d.ratingLagSeconds()); },
  });
}
