import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { batchMsgId, JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { EVENTS_STREAM, partitionConsumer, partitionOf } from '../../hub/cluster/partition.ts';
import { ensureEventsStream, ensurePartitionConsumer, waitConsumerLeader } from '../../hub/cluster/stream.ts';
import { batchPayload, clusterEvent, natsConnect, sleep, storedEventIds, until } from './helpers.ts';

describe('ingress → JetStream on a real 3-node cluster', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    nc = await natsConnect(cluster.servers);
    await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('partitions are stable and spread compounds over all 64', () => {
    expect(partitionOf('c1')).toBe(partitionOf('c1'));
    const used = new Set(Array.from({ length: 2000 }, (_, i) => partitionOf(`compound-${i}`)));
    expect(used.size).toBe(64);
    expect(batchMsgId('edge-1', 3, ['a', 'b'])).toBe(batchMsgId('edge-1', 3, ['a', 'b']));
    expect(batchMsgId('edge-1', 3, ['a', 'b'])).not.toBe(batchMsgId('edge-1', 3, ['b', 'a']));
  });

  it('acked = stored, no duplicates, while the stream leader is SIGKILLed mid-run', async () => {
    const ingress = new JetStreamIngress(jetstream(nc), { ackTimeoutMs: 3000 });
    const EDGES = 20;
    const PER_EDGE = 300;
    const BATCH = 25;
    const acked = new Set<string>();
    let failures = 0;
    let resendDuplicates = 0;
    // Each edge sends its batches in order and resends a batch until it is acked, as the edge's
    // outbox does when no PUBACK comes.
    const edgeRun = async (edge: number): Promise<void> => {
      for (let from = 0; from < PER_EDGE; from += BATCH) {
        const events = Array.from({ length: BATCH }, (_, k) => clusterEvent(edge, from + k));
        for (;;) {
          try {
            const r = await ingress.publishBatch(`edge-${edge}`, batchPayload(edge, events));
            resendDuplicates += r.duplicates;
            for (const e of events) acked.add(e.id);
            break;
          } catch (e) {
            expect((e as { code?: string }).code).toBe('SS_CLUSTER_PUBLISH');
            failures++;
            await sleep(200);
          }
        }
      }
    };
    const run = Promise.all(Array.from({ length: EDGES }, (_, i) => edgeRun(i + 1)));
    await until(() => acked.size >= 1500, 30_000, 'a quarter of the events acked');
    const leader = await cluster.streamLeader(EVENTS_STREAM);
    await cluster.kill(leader);
    const ackedAtKill = acked.size;
    await run;
    expect(ackedAtKill).toBeLessThan(EDGES * PER_EDGE); // the kill really hit a run in flight
    await cluster.restart(leader);
    await cluster.waitMetaLeader();

    expect(acked.size).toBe(EDGES * PER_EDGE);
    // The restarted node catches up from the others: every copy, its own too, holds every acked
    // batch (one message per batch: an edge is one compound, so one partition). nats-server 2.9.10
    // once left the restarted copy 3 of 240 messages short on an idle stream for over 60 s (CI,
    // 2026-12-02). A follower checks each new message's last sequence against its store and on a
    // mismatch resets and catches up from the leader (nats-server: errLastSeqMismatch is a
    // cluster-reset error), so when the copies are not level after a quiet wait, one more batch is
    // sent, as live traffic would, and every copy must then hold all of it. Not seen in 18 local
    // runs (8 with two CPU burners): this path runs only when the case comes back.
    let batches = (EDGES * PER_EDGE) / BATCH;
    let behind = '';
    let copies = await cluster.waitStreamCurrent(EVENTS_STREAM, 20_000).catch((e: Error) => {
      if (!e.message.startsWith('SS_NATS_STREAM_BEHIND')) throw e;
      behind = e.message;
      return undefined;
    });
    if (!copies) {
      console.log(`ingress leader kill: one more batch sent after a quiet 20 s; ${behind}`);
      const nudge = Array.from({ length: BATCH }, (_, k) => clusterEvent(EDGES + 1, k));
      await ingress.publishBatch(`edge-${EDGES + 1}`, batchPayload(EDGES + 1, nudge));
      for (const e of nudge) acked.add(e.id);
      batches++;
      copies = await cluster.waitStreamCurrent(EVENTS_STREAM);
    }
    expect(copies.map((c) => [c.node, c.messages])).toEqual(copies.map((c) => [c.node, batches]));
    const stored = await storedEventIds(nc);
    expect(new Set(stored).size).toBe(stored.length); // no event stored twice
    expect(new Set(stored)).toEqual(acked); // every acked event stored, nothing else
    // Resending an acked batch inside the window is recognised, not stored again.
    const again = await ingress.publishBatch('edge-1', batchPayload(1, Array.from({ length: BATCH }, (_, k) => clusterEvent(1, k))));
    expect(again.duplicates).toBe(1);
    console.log(`ingress leader kill: ${acked.size} acked = ${stored.length} stored, ${failures} failed publishes resent (kill at ${ackedAtKill}), ${resendDuplicates} resend duplicates`);
  });

  it('waitConsumerLeader: consumers created at once are pulled only once their group has a leader', async () => {
    const jsm = await jetstreamManager(nc);
    const ps = Array.from({ length: 16 }, (_, i) => 40 + i);
    await Promise.all(ps.map((p) => ensurePartitionConsumer(jsm, p, { ackWaitMs: 5000 })));
    expect(await Promise.all(ps.map((p) => waitConsumerLeader(jsm, partitionConsumer(p))))).toEqual(ps.map(() => true));
    for (const p of ps) expect((await jsm.consumers.info(EVENTS_STREAM, partitionConsumer(p))).cluster?.leader).toBeTruthy();
    // No such consumer: it gives up after its timeout instead of hanging.
    expect(await waitConsumerLeader(jsm, 'no-such-consumer', 300)).toBe(false);
  });

  it('dead-letters bad events of a batch without losing the good ones', async () => {
    const ingress = new JetStreamIngress(jetstream(nc));
    const good = clusterEvent(99, 1);
    const r = await ingress.publishBatch('edge-99', JSON.stringify({ v: 1, edge: 'edge-99', events: [good, { ...good, id: 'x', severity: 'loud' }] }));
    expect(r).toMatchObject({ events: 1, messages: 1, deadLetters: 1 });
    const bad = await ingress.publishBatch('edge-99', '{"v":1,');
    expect(bad).toMatchObject({ events: 0, messages: 0, deadLetters: 1 });
  });
});
