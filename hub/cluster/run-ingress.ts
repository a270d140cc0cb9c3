import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { EdgeAuth, type EdgeSource } from '../auth.ts';
import type { ClusterConfig } from './config.ts';
import { startIngressServer } from './ingressServer.ts';
import { ensureEventsStream } from './stream.ts';

/**
 * A cluster-mode MQTT ingress (wiring only). `edges`: the edge credentials (as the embedded hub
 * takes them); absent = dev mode (any valid edge id), said in the log. Prints
 * {"ready":…,"url":…} on stdout.
 */
export async function runIngress(cfg: ClusterConfig, edges?: EdgeSource): Promise<void> {
  const log = pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
  const nc = await connect({ servers: cfg.nats, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: cfg.id });
  await ensureEventsStream(await jetstreamManager(nc), { replicas: cfg.replicas });
  const auth = new EdgeAuth(edges);
  if (auth.devMode) log.warn({ ingress: cfg.id }, 'INSECURE DEV MODE: no edge credentials; any valid edge id is accepted for any compound');
  const { broker, counters } = await startIngressServer({ nc, auth, host: cfg.mqttHost ?? '127.0.0.1', port: cfg.mqttPort ?? 0, partitions: cfg.partitions, log });
  process.stdout.write(`${JSON.stringify({ ready: true, id: cfg.id, url: broker.url, pid: process.pid })}\n`);

  const stop = async (): Promise<void> => {
    await broker.close();
    log.info({ ingress: cfg.id, ...counters }, 'ingress stopped');
    await nc.drain();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
