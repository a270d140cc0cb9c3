import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { hashPassword } from '../../common/password.ts';
import { EdgeAuth } from '../../hub/auth.ts';
import type { HubBroker } from '../../hub/broker.ts';
import { startIngressServer, type IngressCounters } from '../../hub/cluster/ingressServer.ts';
import { EVENTS_STREAM } from '../../hub/cluster/partition.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { edgeTopic } from '../../protocol/topics.ts';
import { batchPayload, clusterEvent, natsConnect, storedEventIds } from './helpers.ts';

const quietLog = { info() {}, warn() {}, error() {} };
const SECRET = 'mqtt-ingress-edge-secret';

describe('MQTT ingress: PUBACK only after JetStream’s quorum ack (real aedes, real 3-node NATS)', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let broker: HubBroker;
  let counters: IngressCounters;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    nc = await natsConnect(cluster.servers);
    await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
    ({ broker, counters } = await startIngressServer({ nc, auth: new EdgeAuth(['edge-1', 'edge-2'].map((id) => ({ id, passwordHash: hashPassword(SECRET), compounds: [`c${id.slice(5)}`] }))), host: '127.0.0.1', port: 0, ackTimeoutMs: 1500, log: quietLog }));
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await broker?.close();
    await nc?.close();
    await cluster?.stop();
  });

  const edge = async (id: string): Promise<MqttClient> => {
    const c = await connectAsync(broker.url, { clientId: id, username: id, password: SECRET, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    return c;
  };

  it('a PUBACKed batch is in the stream', async () => {
    const c = await edge('edge-1');
    const events = Array.from({ length: 30 }, (_, i) => clusterEvent(1, i));
    await c.publishAsync(edgeTopic('edge-1', 'events'), batchPayload(1, events), { qos: 1 });
    const stored = await storedEventIds(nc);
    expect(stored).toEqual(expect.arrayContaining(events.map((e) => e.id)));
    expect(counters.events).toBe(30);
  });

  it('with no JetStream quorum the edge gets no PUBACK; its resend after recovery is stored once', async () => {
    const events = Array.from({ length: 20 }, (_, i) => clusterEvent(2, i));
    const c = await edge('edge-2');
    const leader = await cluster.streamLeader(EVENTS_STREAM);
    const others = cluster.nodes.map((n) => n.name).filter((n) => n !== leader);
    // Lose two of three: no quorum anywhere, nothing can be stored.
    await cluster.kill(leader);
    await cluster.kill(others[0]!);
    const outcome = await Promise.race([
      c.publishAsync(edgeTopic('edge-2', 'events'), batchPayload(2, events), { qos: 1 }).then(() => 'puback', () => 'no-puback'),
      new Promise((r) => setTimeout(() => r('no-puback'), 6000)),
    ]);
    expect(outcome).toBe('no-puback');
    expect(counters.failed).toBeGreaterThan(0);
    await cluster.restart(leader);
    await cluster.restart(others[0]!);
    await cluster.waitMetaLeader();
    await cluster.streamLeader(EVENTS_STREAM);
    // The edge resends the same batch (its outbox still holds it) on a new connection.
    let acked = false;
    for (let attempt = 0; attempt < 20 && !acked; attempt++) {
      const again = await edge(`edge-2`);
      acked = await again.publishAsync(edgeTopic('edge-2', 'events'), batchPayload(2, events), { qos: 1 }).then(() => true, () => false);
      if (!acked) await new Promise((r) => setTimeout(r, 500));
    }
    expect(acked).toBe(true);
    const stored = (await storedEventIds(nc)).filter((id) => id.startsWith('edge-2:'));
    expect(stored.sort()).toEqual(events.map((e) => e.id).sort()); // each exactly once
  });
});
