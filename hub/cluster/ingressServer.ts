import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EdgeAuth } from '../auth.ts';
import type { DeadLetterReason, HubErrorCode } from '../errors.ts';
import { startHubBroker, type HubBroker } from '../broker.ts';
import { MAX_BATCH_BYTES } from '../ingest/parse.ts';
import { JetStreamIngress } from './ingress.ts';
import type { IngressMetrics } from './ingress-metrics.ts';
import type { WorkerLog } from './worker.ts';

export interface IngressServerOptions {
  nc: NatsConnection;
  auth: EdgeAuth;
  host: string;
  port: number;
  partitions?: number;
  ackTimeoutMs?: number;
  log: WorkerLog & { error(obj: object, msg: string): void };
  /** Prometheus counters (ingress-metrics.ts); the plain counters below are kept either way. */
  metrics?: IngressMetrics;
}

export interface IngressCounters {
  batches: number;
  events: number;
  failed: number;
  deadLetters: number;
  /** Connections or packets the broker refused (bad credentials, revoked edges, oversized packets). */
  refused: number;
  /** The same by code (SS_HUB_EDGE_AUTH, SS_HUB_EDGE_REVOKED, SS_HUB_MQTT_PACKET_SIZE, …), as the hub's safestar_hub_mqtt_refused_total. */
  refusedByCode: Partial<Record<HubErrorCode, number>>;
  /** Dead letters by reason (SS_DL_EDGE_SCOPE: an edge publishing for a compound outside its scope). */
  deadLettersByReason: Partial<Record<DeadLetterReason, number>>;
}

/**
 * An MQTT ingress of cluster mode: the hub's own broker front (same auth and topic rules as the
 * embedded hub, hub/broker.ts) whose batch hook publishes to JetStream. aedes sends the QoS 1
 * PUBACK only when the hook calls back, so an edge's batch is PUBACKed after JetStream's quorum
 * ack and never before; on failure the hook errors, aedes drops the connection unacked and the
 * edge resends from its outbox. Any number of these run side by side (edges get a list of URLs).
 */
export async function startIngressServer(o: IngressServerOptions): Promise<{ broker: HubBroker; counters: IngressCounters }> {
  const ingress = new JetStreamIngress(jetstream(o.nc), { partitions: o.partitions, ackTimeoutMs: o.ackTimeoutMs });
  const counters: IngressCounters = { batches: 0, events: 0, failed: 0, deadLetters: 0, refused: 0, refusedByCode: {}, deadLettersByReason: {} };
  const deadLetters = (reasons: readonly DeadLetterReason[]): void => {
    counters.deadLetters += reasons.length;
    for (const r of reasons) {
      counters.deadLettersByReason[r] = (counters.deadLettersByReason[r] ?? 0) + 1;
      o.metrics?.deadLetters.inc({ reason: r });
    }
  };
  const broker = await startHubBroker(
    { host: o.host, port: o.port, auth: o.auth, maxPacketBytes: MAX_BATCH_BYTES + 65_536 },
    {
      batch(edge, payload, scope, done) {
        ingress.publishBatch(edge, payload, scope).then(
          (r) => {
            counters.batches++;
            counters.events += r.events;
            o.metrics?.batches.inc();
            o.metrics?.received.inc(r.events);
            deadLetters(r.deadLetterReasons);
            done(null);
          },
          (e: Error) => {
            counters.failed++;
            o.metrics?.failed.inc();
            o.log.error({ edge, err: e.message }, 'SS_CLUSTER_PUBLISH: batch not acknowledged by JetStream; the edge will resend it');
            done(e);
          },
        );
      },
      deadLetter(d) {
        deadLetters([d.reason]);
        ingress.publishDeadLetters(d.edge, [d]).catch((e: Error) => o.log.error({ edge: d.edge, reason: d.reason, err: e.message }, 'SS_CLUSTER_PUBLISH: dead letter not stored'));
      },
      refused(code, detail) {
        counters.refused++;
        counters.refusedByCode[code] = (counters.refusedByCode[code] ?? 0) + 1;
        o.metrics?.refused.inc({ code });
        o.log.warn({ code }, `${code}: ${detail}`);
      },
      log: o.log,
    },
  );
  return { broker, counters };
}
