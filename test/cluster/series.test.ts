import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../common/influxd.ts';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { JetStreamSeriesSink } from '../../hub/cluster/seriesSink.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { influxQuery } from '../hub/helpers.ts';
import { batchPayload, clusterEvent, natsConnect, until } from './helpers.ts';

describe('series: a durable JetStream consumer feeds InfluxDB, acks on 204 (real NATS, real influxd)', () => {
  let cluster: NatsCluster;
  let influx: InfluxdHandle;
  let nc: NatsConnection;
  beforeAll(async () => {
    [cluster, influx] = await Promise.all([startNatsCluster({ size: 3 }), startInfluxd()]);
    await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE city')}`, { method: 'POST' });
    nc = await natsConnect(cluster.servers);
    await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
    await influx?.stop();
  });

  const count = async (): Promise<number> => Number((await influxQuery(influx.url, 'city', 'SELECT count(id) FROM events'))[0]?.[1] ?? 0);

  it('a sink that dies without acking is resumed by the next; redelivered points overwrite themselves', async () => {
    const ingress = new JetStreamIngress(jetstream(nc));
    const publish = async (from: number, to: number): Promise<void> => {
      for (let edge = 1; edge <= 10; edge++) {
        for (let i = from; i < to; i += 50) await ingress.publishBatch(`edge-${edge}`, batchPayload(edge, Array.from({ length: 50 }, (_, k) => clusterEvent(edge, i + k))));
      }
    };
    await publish(0, 100);
    // First sink on its own connection; "dies" by dropping the connection: no ack sent after that.
    const ncA = await natsConnect(cluster.servers);
    const a = new JetStreamSeriesSink({ nc: ncA, influxUrl: influx.url, database: 'city', name: 'primary', ackWaitMs: 2000, maxLines: 200 });
    await a.start();
    await until(async () => (await count()) >= 500, 20_000, 'the first sink writing');
    await ncA.close();
    await publish(100, 200);
    const b = new JetStreamSeriesSink({ nc, influxUrl: influx.url, database: 'city', name: 'primary', ackWaitMs: 2000 });
    await b.start();
    await until(async () => (await count()) >= 2000, 30_000, 'every event in InfluxDB');
    await new Promise((r) => setTimeout(r, 2500)); // past ack_wait: any redelivery has landed
    await b.stop();
    await a.stop();
    expect(await count()).toBe(2000); // none twice although some were written twice
    const ids = (await influxQuery(influx.url, 'city', 'SELECT id FROM events')).map((r) => r[1]);
    expect(new Set(ids).size).toBe(2000);
    expect(a.stats.points + b.stats.points).toBeGreaterThanOrEqual(2000);
    console.log(`series sink: first wrote ${a.stats.points}, second ${b.stats.points} points; InfluxDB holds ${ids.length}`);
  });
});
