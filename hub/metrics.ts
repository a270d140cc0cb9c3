import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one hub (own registry: several hubs may share a process in tests). */
export function createHubMetrics(queueDepth: () => number, influxUp: () => number) {
  const registry = new Registry();
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
