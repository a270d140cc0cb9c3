import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { EdgeAuth } from '../auth.ts';
import { loadClusterConfig } from './config.ts';
import { startIngressServer } from './ingressServer.ts';
import { ensureEventsStream } from './stream.ts';

/**
 * Process entry of a cluster-mode MQTT ingress: `node --import tsx hub/cluster/ingress-main.ts
 * <config.json | JSON>` (config: id, nats, pg, mqttHost, mqttPort, replicas, partitions). Wiring
 * only. Edge credentials: dev mode (any valid edge id) until the credential list is wired in here
 * the way hub/main.ts does; the process logs that at start. Prints {"ready":…,"url":…} on stdout.
 */
const cfg = loadClusterConfig(process.argv[2]);
const log = pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
const nc = await connect({ servers: cfg.nats, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: cfg.id });
await ensureEventsStream(await jetstreamManager(nc), { replicas: cfg.replicas });
const auth = new EdgeAuth(undefined);
log.warn({ ingress: cfg.id }, 'edge credentials: dev mode (any valid edge id is accepted)');
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
