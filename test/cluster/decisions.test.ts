import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { PartitionRating } from '../../hub/cluster/partition-rating.ts';
import { partitionOf } from '../../hub/cluster/partition.ts';
import type { PartitionWorker } from '../../hub/cluster/worker.ts';
import { IndexRating } from '../../hub/index/hub-rating.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import { StateDb, type CompoundRow, type DeviceRow } from '../../hub/store/stateDb.ts';
import type { City } from '../../protocol/city.ts';
import type { Event } from '../../protocol/event.ts';
import { lowest } from '../../hub/web/map-view.ts';
import { driverWords, publicView } from '../../hub/web/public-view.ts';
import { startClusterBase, startWorkers, type ClusterBase, type WorkerSet } from './fixtures.ts';
import { until } from './helpers.ts';

const PARTITIONS = 8;
const POLICE = 'police-decisions-token-0123';
const OPERATOR = 'operator-decisions-token-0123';
/** A fixed instant: the test never depends on today's date. */
const C0 = Date.UTC(2027, 5, 14, 6, 0, 0);

/**
 * Alarm decisions and resident surveys in cluster mode: any worker's API takes them (operator
 * token, the embedded hub's refusals), the compound's owner applies them under its epoch and
 * re-rates; the stars equal the embedded hub's for the same inputs, and a new owner reloads them.
 */
describe('cluster mode: alarm confirmations, dismissals and surveys reach the owner and score like the single hub', () => {
  let base: ClusterBase;
  let set: WorkerSet;
  let pool: pg.Pool;
  let nc: NatsConnection;
  let workers: PartitionWorker[] = [];
  let urls: string[] = [];
  const clock = C0;
  const policy = defaultPolicy();
  const compounds: CompoundRow[] = Array.from({ length: 6 }, (_, i) => ({ id: `dc${i}`, name: `DC ${i}`, district: `d${i % 2}`, households: 250, lat: null, lon: null }));
  const devices: DeviceRow[] = compounds.map((c) => ({ id: `${c.id}-fence`, compound: c.id, kind: 'fence', profile: null, heartbeat_s: 86_400 }));
  const ev = (c: CompoundRow, n: number, type: string, severity: string): Event =>
    ({ v: 1, id: `ev-${c.id}-${n}`, deviceTime: C0 - 3_600_000 + n * 1000, receivedAt: C0 - 3_600_000 + n * 1000, district: c.district, compound: c.id, edge: 'edge-d', device: `${c.id}-fence`, kind: 'fence', type, severity, attributes: {} }) as Event;
  // Every compound heard; three fence alarms on dc0 and dc1, one on dc2 (7 alarms); a major event of a
  // type the policy does not weigh on dc3, which opens none (hub/index/alarm-rule.ts, as embedded).
  const events: Event[] = [
    ...compounds.map((c) => ev(c, 0, 'heartbeat', 'info')),
    ...[0, 1].flatMap((i) => [1, 2, 3].map((n) => ev(compounds[i]!, n, 'fence-alarm', 'major'))),
    ev(compounds[2]!, 1, 'fence-alarm', 'major'),
    ev(compounds[3]!, 1, 'power-loss', 'major'),
  ];

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_decide' });
    ({ pool, nc } = base);
    // The city file's way in: district names too (the map and the plaque page show them).
    await new PgStateStore(pool).registerCity({
      v: 1, seed: 1, name: 'Decisions', districts: [{ id: 'd0', name: '思明 Siming' }, { id: 'd1', name: '湖里 Huli' }],
      compounds: compounds.map((c) => ({ ...c, devices: devices.filter((d) => d.compound === c.id).map((d) => ({ id: d.id, kind: d.kind, profile: null, heartbeatSeconds: d.heartbeat_s })) })),
    } as unknown as City);
    set = await startWorkers(base, {
      ids: ['wa', 'wb'],
      partitions: PARTITIONS,
      worker: { leaseTtlMs: 3000, tickMs: 500, ackWaitMs: 4000, reviewMs: 1000, policy, now: () => clock },
      api: { policy, tokens: { departments: { police: [POLICE] }, operators: [OPERATOR] }, now: () => clock },
    });
    ({ workers, urls } = set);
    await new JetStreamIngress(jetstream(nc), { partitions: PARTITIONS }).publishBatch('edge-d', JSON.stringify({ v: 1, edge: 'edge-d', events }));
    await until(async () => Number((await pool.query('SELECT count(*)::int AS n FROM alarms')).rows[0].n) === 7 && Number((await pool.query('SELECT count(*)::int AS n FROM device_last_seen')).rows[0].n) === devices.length, 30_000, 'events applied');
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
    await base?.stop();
  });

  const call = (url: string, method: string, path: string, token?: string, body?: unknown): Promise<Response> =>
    fetch(`${url}${path}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const ownerIdx = (compound: string): number => (workers[0]!.owned().some((h) => h.partition === partitionOf(compound, PARTITIONS)) ? 0 : 1);
  const other = (compound: string): string => urls[1 - ownerIdx(compound)]!;
  const codeOf = async (r: Response): Promise<string> => ((await r.json()) as { code: string }).code;

  it('refuses what the embedded hub refuses: no token 401, a department token 403, unknown or unweighed alarm 404, bad survey 400', async () => {
    const a = 'ev-dc0-1';
    expect((await call(urls[0]!, 'POST', `/api/alarms/${a}/confirm`)).status).toBe(401);
    const dept = await call(urls[0]!, 'POST', `/api/alarms/${a}/confirm`, POLICE);
    expect([dept.status, await codeOf(dept)]).toEqual([403, 'SS_CASE_FORBIDDEN']);
    const unknown = await call(urls[0]!, 'POST', '/api/alarms/no-such-alarm/confirm', OPERATOR);
    expect([unknown.status, await codeOf(unknown)]).toEqual([404, 'SS_ALARM_UNKNOWN']);
    const unweighed = await call(urls[0]!, 'POST', '/api/alarms/ev-dc3-1/confirm', OPERATOR);
    expect([unweighed.status, await codeOf(unweighed)]).toEqual([404, 'SS_ALARM_UNKNOWN']);
    expect((await call(urls[0]!, 'GET', '/api/alarms')).status).toBe(401);
    expect((await call(urls[0]!, 'GET', '/api/alarms', POLICE)).status).toBe(403);
    const badQ = await call(urls[0]!, 'GET', '/api/alarms?status=maybe', OPERATOR);
    expect([badQ.status, await codeOf(badQ)]).toEqual([400, 'SS_CASE_INVALID']);
    expect((await call(urls[0]!, 'PUT', '/api/compounds/dc0/survey', undefined, { satisfaction: 0.5 })).status).toBe(401);
    expect((await call(urls[0]!, 'PUT', '/api/compounds/dc0/survey', POLICE, { satisfaction: 0.5 })).status).toBe(403);
    const bad = await call(urls[0]!, 'PUT', '/api/compounds/dc0/survey', OPERATOR, { satisfaction: 1.5 });
    expect([bad.status, await codeOf(bad)]).toEqual([400, 'SS_CASE_INVALID']);
    const nope = await call(urls[0]!, 'PUT', '/api/compounds/nope/survey', OPERATOR, { satisfaction: 0.5 });
    expect([nope.status, await codeOf(nope)]).toEqual([400, 'SS_CASE_UNKNOWN_COMPOUND']);
    // Nothing was applied by any of them.
    expect(workers.reduce((n, w) => n + w.stats.decisions, 0)).toBe(0);
    expect(Number((await pool.query("SELECT count(*)::int AS n FROM alarms WHERE status <> 'pending'")).rows[0].n)).toBe(0);
  });

  it('decisions and surveys posted to the non-owner are applied by the owner under its epoch; stars equal the single hub’s; a new owner reloads them', async () => {
    const before = new Map((await pool.query<{ compound: string; index: number }>('SELECT compound, index FROM compound_ratings')).rows.map((r) => [r.compound, r.index]));
    const confirm = ['ev-dc0-1', 'ev-dc0-2', 'ev-dc0-3', 'ev-dc1-1', 'ev-dc2-1'];
    for (const id of confirm) {
      const compound = id.split('-')[1]!;
      const r = await call(other(compound), 'POST', `/api/alarms/${id}/confirm`, OPERATOR);
      expect(r.status, id).toBe(200);
      expect(((await r.json()) as { alarm: { status: string } }).alarm.status).toBe('confirmed');
    }
    const dis = await call(other('dc1'), 'POST', '/api/alarms/ev-dc1-1/dismiss', OPERATOR);
    expect(dis.status).toBe(200);
    expect(((await dis.json()) as { alarm: { status: string; decided_by: string } }).alarm).toMatchObject({ status: 'dismissed', decided_by: 'operator' });
    // The same decision again: answered at once, nothing published.
    const decided = workers.reduce((n, w) => n + w.stats.decisions, 0);
    expect((await call(urls[0]!, 'POST', '/api/alarms/ev-dc0-1/confirm', OPERATOR)).status).toBe(200);
    expect(workers.reduce((n, w) => n + w.stats.decisions, 0)).toBe(decided);
    for (const [c, s] of [['dc4', 0.35], ['dc5', 0.95]] as const) {
      const r = await call(other(c), 'PUT', `/api/compounds/${c}/survey`, OPERATOR, { satisfaction: s });
      expect(r.status, c).toBe(200);
    }

    // Written by the owner of the partition, with its current epoch.
    const leases = new Map((await pool.query<{ partition: number; owner: string; epoch: string }>('SELECT partition, owner, epoch FROM partition_leases')).rows.map((l) => [l.partition, l]));
    for (const a of (await pool.query<{ event_id: string; partition: number; decided_epoch: string }>("SELECT event_id, partition, decided_epoch FROM alarms WHERE status <> 'pending'")).rows) expect(a.decided_epoch, a.event_id).toBe(leases.get(a.partition)!.epoch);
    for (const s of (await pool.query<{ compound: string; partition: number; epoch: string }>('SELECT compound, partition, epoch FROM surveys')).rows) expect(s.epoch).toBe(leases.get(s.partition)!.epoch);
    const list = (await (await call(urls[1]!, 'GET', '/api/alarms?status=confirmed', OPERATOR)).json()) as Array<{ id: string }>;
    expect(list.map((a) => a.id).sort()).toEqual(['ev-dc0-1', 'ev-dc0-2', 'ev-dc0-3', 'ev-dc2-1']);
    const pending = (await (await call(urls[0]!, 'GET', '/api/alarms?status=pending&compound=dc1', OPERATOR)).json()) as Array<{ id: string }>;
    expect(pending.map((a) => a.id).sort()).toEqual(['ev-dc1-2', 'ev-dc1-3']);

    // The embedded hub fed the same events and decisions at the same instant.
    const dir = mkdtempSync(join(tmpdir(), 'ss-decide-replay-'));
    const state = new StateDb(join(dir, 'state.db'));
    state.addLearned(compounds, devices);
    const engine = new IndexRating({ state, now: () => clock }, { manual: true, policy });
    engine.onEvents(events);
    for (const id of confirm) engine.decideAlarm(id, 'confirmed', 'operator');
    engine.decideAlarm('ev-dc1-1', 'dismissed', 'operator');
    engine.setSurvey('dc4', 0.35);
    engine.setSurvey('dc5', 0.95);
    engine.tick();
    const single = new Map(engine.list().map((r) => [r.id, { stars: r.stars, index: r.index }]));
    const singleViews = new Map(compounds.map((c) => [c.id, publicView(engine.get(c.id)!)]));
    const singleLowest = lowest(engine.list().map((r) => ({ ...r })), 10).map((r) => ({ id: r.id, stars: r.stars, index: r.index, reasons: driverWords(singleViews.get(r.id)!) }));
    engine.close();
    state.close();
    rmSync(dir, { recursive: true, force: true });
    const rows = new Map((await pool.query<{ compound: string; stars: number | null; index: number }>('SELECT compound, stars, index FROM compound_ratings')).rows.map((r) => [r.compound, { stars: r.stars, index: r.index }]));
    expect(new Map(compounds.map((c) => [c.id, rows.get(c.id)]))).toEqual(new Map(compounds.map((c) => [c.id, single.get(c.id)])));
    // Not trivial: the confirmed alarms and the low survey cost index points.
    expect(rows.get('dc0')!.index).toBeLessThan(before.get('dc0')!);
    expect(rows.get('dc4')!.index).toBeLessThan(rows.get('dc5')!.index);

    // The public reads, with no token, from any worker: the plaque page's data and the map's
    // lowest-rated list with reasons are the single hub's; district names from the city file.
    for (const c of compounds) {
      const r = await call(urls[ownerIdx(c.id)]!, 'GET', `/api/compounds/${c.id}/public`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as Record<string, unknown>;
      const { districtName, checkins, ...view } = body;
      expect(view, c.id).toEqual(JSON.parse(JSON.stringify(singleViews.get(c.id))));
      expect(districtName).toBe(c.district === 'd0' ? '思明 Siming' : '湖里 Huli');
      expect(checkins).toEqual({});
      // Nothing private on a public page: no alarm (event) ids, no device ids.
      expect(JSON.stringify(body)).not.toMatch(/ev-dc|-fence/);
    }
    expect(((await (await call(urls[0]!, 'GET', '/api/compounds/dc1/public')).json()) as { unconfirmedAlarms: number }).unconfirmedAlarms).toBe(2);
    expect(singleViews.get('dc0')!.drivers.length).toBeGreaterThan(0);
    const unknown = await call(urls[0]!, 'GET', '/api/compounds/nope/public');
    expect([unknown.status, await codeOf(unknown)]).toEqual([404, 'SS_WEB_COMPOUND_UNKNOWN']);
    const map = (await (await call(urls[1]!, 'GET', '/api/map')).json()) as { districts: Array<{ id: string; name: string }>; lowest: Array<{ id: string; stars: number; index: number; reasons: string[] }> };
    expect(map.districts.map((d) => [d.id, d.name])).toEqual([['d0', '思明 Siming'], ['d1', '湖里 Huli']]);
    expect(map.lowest.map(({ id, stars, index, reasons }) => ({ id, stars, index, reasons }))).toEqual(singleLowest);
    expect(map.lowest[0]!.reasons.length).toBeGreaterThan(0);

    // A new owner of dc0's partition (after a takeover) reads the decisions and the survey back.
    const c = await pool.connect();
    try {
      const p0 = await PartitionRating.load(c, policy, partitionOf('dc0', PARTITIONS), PARTITIONS, 'new-owner', clock);
      expect(p0.confirmedAlarmsOf('dc0').map((a) => a.id)).toEqual(['ev-dc0-1', 'ev-dc0-2', 'ev-dc0-3']);
      const p1 = await PartitionRating.load(c, policy, partitionOf('dc1', PARTITIONS), PARTITIONS, 'new-owner', clock);
      expect(p1.confirmedAlarmsOf('dc1')).toEqual([]);
      const p4 = await PartitionRating.load(c, policy, partitionOf('dc4', PARTITIONS), PARTITIONS, 'new-owner', clock);
      expect(p4.surveyOf('dc4')).toBe(0.35);
    } finally {
      c.release();
    }
  });
});
