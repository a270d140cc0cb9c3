import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * Prometheus metrics of a cluster ingress, under the embedded hub's names where the meaning is the
 * same (hub/metrics.ts), so one dashboard and one alert on `safestar_hub_mqtt_refused_total{code=
 * "SS_HUB_EDGE_AUTH"}` cover both modes.
 */
export function createIngressMetrics(edgesConnected: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const refused = new Counter({ name: 'safestar_hub_mqtt_refused_total', help: 'MQTT connections, packets and publishes the ingress refused, by code (SS_HUB_EDGE_AUTH, SS_HUB_EDGE_REVOKED, SS_HUB_MQTT_PACKET_SIZE, …)', labelNames: ['code'], registers: [registry] });
  const deadLetters = new Counter({ name: 'safestar_hub_deadletters_total', help: 'Dead-letter records by reason code (SS_DL_EDGE_SCOPE: a compound outside the edge\'s scope)', labelNames: ['reason'], registers: [registry] });
  const received = new Counter({ name: 'safestar_hub_events_received_total', help: 'Valid events published to JetStream (acknowledged by its quorum)', registers: [registry] });
  const batches = new Counter({ name: 'safestar_hub_batches_total', help: 'Uplink batches acknowledged by JetStream and PUBACKed', registers: [registry] });
  const failed = new Counter({ name: 'safestar_ingress_publish_failed_total', help: 'Batches JetStream did not acknowledge (SS_CLUSTER_PUBLISH): not PUBACKed, the edge resends', registers: [registry] });
  new Gauge({ name: 'safestar_hub_edges_connected', help: 'Edges with an open MQTT session to this ingress', registers: [registry], collect() { this.set(edgesConnected()); } });
  return { registry, refused, deadLetters, received, batches, failed };
}

export type IngressMetrics = ReturnType<typeof createIngressMetrics>;

/** GET /metrics only (the ingress has no API): Prometheus text; anything else 404. */
export async function serveIngressMetrics(registry: Registry, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(e.message),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  return {
    url: `http://${host}:${typeof a === 'object' && a ? a.port : port}/metrics`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
