import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmRow } from '../../hub/cases/store.ts';
import { PgAlarmStore } from '../../hub/cluster/decision-stores.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { partitionOf } from '../../hub/cluster/partition.ts';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import { StateDb, type CompoundRow, type DeviceRow } from '../../hub/store/stateDb.ts';
import type { Event } from '../../protocol/event.ts';
import { startClusterBase, startWorkers, type ClusterBase, type WorkerSet } from './fixtures.ts';
import { until } from './helpers.ts';

const PARTITIONS = 4;
/** A fixed instant: the test never depends on today's date. */
const C0 = Date.UTC(2027, 7, 3, 1, 30, 0);

/**
 * The same events through the embedded engine (IndexRating over SQLite) and through the cluster
 * (ingress → JetStream → the compound's partition owner → PostgreSQL) open the same alarms: the
 * same ids, types, devices, times, origins and scores, listed in the same order. Before the
 * shared rule (hub/index/alarm-rule.ts) the owners opened alarms by severity.
 */
describe('cluster mode: the partition owners open exactly the alarms the embedded hub opens', () => {
  let base: ClusterBase;
  let set: WorkerSet;
  const policy = defaultPolicy();
  const compounds: CompoundRow[] = Array.from({ length: 6 }, (_, i) => ({ id: `ap${i}`, name: `AP ${i}`, district: `d${i % 2}`, households: 300, lat: null, lon: null }));
  const devices: DeviceRow[] = compounds.flatMap((c) => [
    { id: `${c.id}-fence`, compound: c.id, kind: 'fence', profile: null, heartbeat_s: 86_400 },
    { id: `${c.id}-door`, compound: c.id, kind: 'access', profile: null, heartbeat_s: 86_400 },
  ]);
  const score = { value: 0.91, threshold: 0.75, model: 'fence-v3', anomalous: true };
  let n = 0;
  const ev = (c: CompoundRow, dev: 'fence' | 'door', type: string, severity: string, at: number, over: Partial<Event> = {}): Event =>
    ({ v: 1, id: `ap-${c.id}-${String(n++).padStart(3, '0')}`, deviceTime: at, receivedAt: Math.min(at, C0), district: c.district, compound: c.id, edge: 'edge-ap', device: `${c.id}-${dev}`, kind: dev === 'fence' ? 'fence' : 'access', type, severity, attributes: {}, ...over }) as Event;
  const T = C0 - 3_600_000;
  // Per compound: what opens one (weighed types whatever the severity, a device clock ahead of the
  // hub, a scored event, two at the same instant) and what does not (a critical power-loss, the
  // edge's own record of a weighed type, a heartbeat).
  const events: Event[] = compounds.flatMap((c, i) => [
    ev(c, 'fence', 'heartbeat', 'info', T),
    ev(c, 'fence', 'fence-alarm', 'major', T + 1000 * i, i % 2 === 0 ? { score } : {}),
    ev(c, 'fence', 'power-loss', 'critical', T + 2000),
    ev(c, 'fence', 'tamper', 'minor', T + 3000),
    ev(c, 'fence', 'wire-cut', 'critical', T + 4000, { attributes: { origin: 'edge', reason: 'test' } }),
    ev(c, 'door', 'door-forced', 'major', T + 5000),
    ev(c, 'door', 'duress', 'critical', T + 5000),
    ev(c, 'door', 'granted', 'info', T + 6000),
    ...(i === 3 ? [ev(c, 'fence', 'short-circuit', 'major', C0 + 900_000)] : []), // device clock 15 min ahead
    ...(i === 0 ? [ev(c, 'door', 'door-forced', 'major', T + 7000, { attributes: { origin: 'gateway-7' } })] : []), // an origin someone set
  ]);

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_alarm_parity' });
    await new PgStateStore(base.pool).addLearned(compounds, devices);
    set = await startWorkers(base, { ids: ['wa', 'wb'], partitions: PARTITIONS, worker: { leaseTtlMs: 3000, tickMs: 500, ackWaitMs: 4000, reviewMs: 1000, policy, now: () => C0 } });
    const ingress = new JetStreamIngress(jetstream(base.nc), { partitions: PARTITIONS });
    // Two batches, the second repeating one event of the first (a resend): one alarm each.
    await ingress.publishBatch('edge-ap', JSON.stringify({ v: 1, edge: 'edge-ap', events: events.slice(0, 20) }));
    await ingress.publishBatch('edge-ap', JSON.stringify({ v: 1, edge: 'edge-ap', events: [events[1]!, ...events.slice(20)] }));
    await until(async () => Number((await base.pool.query('SELECT count(*)::int AS n FROM seen')).rows[0].n) === events.length, 30_000, 'every event applied by its owner');
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
    await base?.stop();
  });

  it('same ids, types, devices, times, origins and scores, in the same order; both partitions’ owners took part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-alarm-parity-'));
    let embedded: AlarmRow[];
    try {
      const state = new StateDb(join(dir, 'state.db'));
      state.addLearned(compounds, devices);
      const engine = new IndexRating({ state, now: () => C0 }, { manual: true, policy });
      engine.onEvents(events.slice(0, 20));
      engine.onEvents([events[1]!, ...events.slice(20)]);
      embedded = engine.cases.listAlarms({ limit: 1000 });
      engine.close();
      state.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const cluster = await new PgAlarmStore(base.pool).list({ limit: 1000 });
    const view = (a: AlarmRow) => ({ id: a.id, compound: a.compound, device: a.device, type: a.type, occurredAt: a.occurred_at, origin: a.origin, status: a.status, score: a.score ? JSON.parse(a.score) : null });
    expect(cluster.map(view)).toEqual(embedded.map(view));

    // Not trivial: 4 alarms per compound, the clock-ahead one and the gateway's, each type the rule takes, none it leaves.
    expect(embedded).toHaveLength(compounds.length * 4 + 2);
    expect(new Set(embedded.map((a) => a.type))).toEqual(new Set(['fence-alarm', 'tamper', 'door-forced', 'duress', 'short-circuit']));
    expect(embedded.find((a) => a.type === 'short-circuit')!.occurred_at).toBe(C0);
    expect(embedded.filter((a) => a.score !== null && a.score !== undefined)).toHaveLength(3);
    expect(new Set(embedded.map((a) => a.origin))).toEqual(new Set(['device', 'gateway-7']));
    // The rows were written by the owner of each compound's partition, under its epoch.
    const rows = (await base.pool.query<{ event_id: string; compound: string; partition: number; owner: string; epoch: string }>('SELECT event_id, compound, partition, owner, epoch FROM alarms')).rows;
    const leases = new Map((await base.pool.query<{ partition: number; owner: string; epoch: string }>('SELECT partition, owner, epoch FROM partition_leases')).rows.map((l) => [l.partition, l]));
    for (const r of rows) {
      expect(r.partition).toBe(partitionOf(r.compound, PARTITIONS));
      expect({ owner: r.owner, epoch: r.epoch }).toEqual({ owner: leases.get(r.partition)!.owner, epoch: leases.get(r.partition)!.epoch });
    }
    expect(new Set(rows.map((r) => r.owner))).toEqual(new Set(['wa', 'wb']));
  });
});
