import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../../common/nats.ts';
import { createTempDatabase, type TempDatabase } from '../../common/pg.ts';
import { buildClusterApi } from '../../hub/cluster/api.ts';
import { JetStreamIngress } from '../../hub/cluster/ingress.ts';
import { partitionOf } from '../../hub/cluster/partition.ts';
import { ensureEventsStream } from '../../hub/cluster/stream.ts';
import { PartitionWorker } from '../../hub/cluster/worker.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';
import { migratePg } from '../../hub/store/pgMigrate.ts';
import { PgStateStore } from '../../hub/store/pgState.ts';
import type { City } from '../../protocol/city.ts';
import type { Event } from '../../protocol/event.ts';
import { natsConnect, until } from './helpers.ts';

const PARTITIONS = 4;
const POLICE = 'police-console-token-0123';
const OPERATOR = 'operator-console-token-0123';
/** A fixed instant: the test never depends on today's date. */
const C0 = Date.UTC(2027, 5, 14, 6, 0, 0);
const H8 = 8 * 3_600_000;

interface Session {
  cookie: string;
  csrf: string;
}

/**
 * The operator console on cluster workers: the embedded hub's routes, cookie and CSRF rules, with
 * sessions in PostgreSQL (a login on worker A is honoured by worker B and survives A's restart; a
 * logout on B ends it on A) and data from PostgreSQL; a confirmation from the console goes the
 * cluster's decision path (published onto the partition, applied by the compound's owner).
 */
describe('cluster mode: the operator console on any worker', () => {
  let cluster: NatsCluster;
  let db: TempDatabase;
  let pool: pg.Pool;
  let nc: NatsConnection;
  const workers: PartitionWorker[] = [];
  const apis = new Map<string, FastifyInstance>();
  const urls = new Map<string, string>();
  const policy = defaultPolicy();
  /** The APIs' clock (sessions expire on it); the workers keep C0. */
  let apiClock = C0;
  const compounds = Array.from({ length: 4 }, (_, i) => ({ id: `kc${i}`, name: `KC ${i}`, district: `d${i % 2}`, households: 200, lat: null, lon: null }));
  const ev = (c: string, n: number, type: string, severity: string, device = `${c}-fence`): Event =>
    ({ v: 1, id: `ev-${c}-${n}`, deviceTime: C0 - 3_600_000 + n * 1000, receivedAt: C0 - 3_600_000 + n * 1000, district: 'd0', compound: c, edge: 'edge-k', device, kind: 'fence', type, severity, attributes: {} }) as Event;
  // Every fence heard (one said offline since); fence alarms on kc0 (two) and kc1 (one, the newest).
  const events: Event[] = [
    ...compounds.map((c) => ev(c.id, 0, 'heartbeat', 'info')),
    ev('kc3', 5, 'offline', 'minor'),
    ev('kc0', 1, 'fence-alarm', 'major'),
    ev('kc0', 2, 'fence-alarm', 'major'),
    ev('kc1', 3, 'fence-alarm', 'major'),
  ];

  const api = async (id: string): Promise<void> => {
    const a = await buildClusterApi({ pool, js: jetstream(nc), policy, tokens: { departments: { police: [POLICE] }, operators: [OPERATOR] }, partitions: PARTITIONS, workerId: id, now: () => apiClock });
    await a.listen({ host: '127.0.0.1', port: 0 });
    const addr = a.server.address();
    apis.set(id, a);
    urls.set(id, `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
  };

  beforeAll(async () => {
    [cluster, db] = await Promise.all([startNatsCluster({ size: 3 }), createTempDatabase('ss_console')]);
    pool = new pg.Pool({ connectionString: db.url, max: 8 });
    await migratePg(pool);
    nc = await natsConnect(cluster.servers);
    await ensureEventsStream(await jetstreamManager(nc), { replicas: 3 });
    await new PgStateStore(pool).registerCity({
      v: 1, seed: 1, name: 'Console', districts: [{ id: 'd0', name: '思明 Siming' }, { id: 'd1', name: '湖里 Huli' }],
      compounds: compounds.map((c) => ({ ...c, devices: [{ id: `${c.id}-fence`, kind: 'fence', profile: null, heartbeatSeconds: 86_400 }] })),
    } as unknown as City);
    await pool.query("INSERT INTO edge_credentials (id, compounds, password_hash, created_at) VALUES ('edge-k', $1, 'scrypt$test', $2)", [compounds.map((c) => c.id), C0]);
    // What the dead-letter consumer stores for a refused batch (the console counts it).
    await pool.query("INSERT INTO deadletters (at, edge, reason, detail, raw) VALUES ($1, 'edge-k', 'SS_HUB_BATCH_INVALID', 'not JSON', 'x')", [C0 - 60_000]);
    for (const id of ['wa', 'wb']) {
      const w = new PartitionWorker({ id, nc, pool, partitions: PARTITIONS, leaseTtlMs: 3000, tickMs: 500, ackWaitMs: 4000, reviewMs: 1000, policy, now: () => C0 });
      await w.start();
      workers.push(w);
      await api(id);
    }
    await until(() => workers.every((w) => w.owned().length === PARTITIONS / 2), 30_000, 'both workers holding half the partitions');
    await new JetStreamIngress(jetstream(nc), { partitions: PARTITIONS }).publishBatch('edge-k', JSON.stringify({ v: 1, edge: 'edge-k', events }));
    await until(async () => Number((await pool.query('SELECT count(*)::int AS n FROM alarms')).rows[0].n) === 3 && Number((await pool.query("SELECT count(*)::int AS n FROM device_last_seen WHERE last_type = 'offline'")).rows[0].n) === 1, 30_000, 'events applied');
  }, 120_000);

  afterAll(async () => {
    for (const a of apis.values()) await a.close();
    for (const w of workers) await w.stop();
    await nc?.close();
    await pool?.end();
    await db?.drop();
    await cluster?.stop();
  });

  const get = (worker: string, path: string, s?: Session): Promise<Response> => fetch(`${urls.get(worker)}${path}`, { redirect: 'manual', headers: s ? { cookie: s.cookie } : {} });
  const post = (worker: string, path: string, s?: Session, csrf = true): Promise<Response> =>
    fetch(`${urls.get(worker)}${path}`, { method: 'POST', headers: s ? { cookie: s.cookie, ...(csrf ? { 'x-safestar-csrf': s.csrf } : {}) } : {} });
  const codeOf = async (r: Response): Promise<string> => ((await r.json()) as { code: string }).code;
  const login = async (worker: string, token = OPERATOR): Promise<Response> =>
    fetch(`${urls.get(worker)}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const sessionOf = async (r: Response): Promise<Session> => {
    const setCookie = r.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^ss_console=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    return { cookie: setCookie.split(';')[0]!, csrf: ((await r.json()) as { csrf: string }).csrf };
  };
  const otherThanOwner = (compound: string): string => (workers[0]!.owned().some((h) => h.partition === partitionOf(compound, PARTITIONS)) ? 'wb' : 'wa');

  it('refuses without a session what the embedded console refuses, with the same codes', async () => {
    const page = await get('wa', '/');
    expect([page.status, page.headers.get('location')]).toEqual([303, '/login']);
    expect((await get('wa', '/login')).status).toBe(200);
    for (const path of ['/api/console/overview', '/api/console/alarms', '/api/console/infrastructure', '/api/console/deadletters', '/api/console/audit', '/api/console/events']) {
      const r = await get('wb', path);
      expect([r.status, await codeOf(r)], path).toEqual([401, 'SS_WEB_SESSION']);
    }
    const s = await get('wa', '/api/console/session');
    expect([s.status, await codeOf(s)]).toEqual([401, 'SS_WEB_SESSION']);
    const dept = await login('wa', POLICE);
    expect([dept.status, await codeOf(dept)]).toEqual([401, 'SS_WEB_LOGIN_INVALID']);
    const forged = { cookie: 'ss_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', csrf: 'x' };
    expect((await get('wa', '/api/console/overview', forged)).status).toBe(401);
    const decide = await post('wa', '/api/alarms/ev-kc0-1/confirm', forged);
    expect([decide.status, await codeOf(decide)]).toEqual([401, 'SS_CASE_AUTH']);
    expect(Number((await pool.query('SELECT count(*)::int AS n FROM console_sessions')).rows[0].n)).toBe(0);
  });

  it('a login on worker A is honoured on worker B: overview, alarms, infrastructure, dead letters and audit from PostgreSQL', async () => {
    const s = await sessionOf(await login('wa'));
    // Only the hash of the id is stored.
    const stored = (await pool.query<{ digest: string }>('SELECT digest FROM console_sessions')).rows;
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(s.cookie.slice('ss_console='.length));
    const again = await get('wb', '/api/console/session', s);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { csrf: string }).csrf).toBe(s.csrf);
    expect((await get('wb', '/', s)).status).toBe(200);

    const o = (await (await get('wb', '/api/console/overview', s)).json()) as Record<string, any>;
    expect(o['generatedAt']).toBe(C0);
    expect(o['total']).toMatchObject({ compounds: 4 });
    expect(o['districts'].map((d: { id: string; name: string; compounds: number }) => [d.id, d.name, d.compounds])).toEqual([['d0', '思明 Siming', 2], ['d1', '湖里 Huli', 2]]);
    expect(o['pendingAlarms']).toBe(3);
    expect(o['deadLetters']).toBe(1);
    // A worker does not hold the edges' connections: said, not guessed.
    expect(o['edges']).toEqual({ connected: null, known: 1 });
    expect(o['limits']['edges']).toMatch(/ingress/);
    // Every compound's first rating was written today (city time) on the owners' clock.
    expect(o['changesToday'].total).toBeGreaterThanOrEqual(4);

    const alarms = (await (await get('wb', '/api/console/alarms', s)).json()) as Array<Record<string, any>>;
    expect(alarms.map((a) => a['id'])).toEqual(['ev-kc1-3', 'ev-kc0-2', 'ev-kc0-1']);
    const a01 = alarms.find((a) => a['id'] === 'ev-kc0-1')!;
    expect(a01).toMatchObject({ compound: 'kc0', name: 'KC 0', districtName: '思明 Siming', device: 'kc0-fence', type: 'fence-alarm', status: 'pending', occurredAt: C0 - 3_600_000 + 1000 });
    expect(a01['evidence'].related.map((r: { id: string }) => r.id)).toEqual(['ev-kc0-2']);
    expect(a01['evidence'].device).toEqual({ id: 'kc0-fence', online: true, lastSeen: C0 - 3_600_000 + 2000 });
    expect(a01['evidence'].compound).toMatchObject({ id: 'kc0', name: 'KC 0' });

    const infra = (await (await get('wa', '/api/console/infrastructure', s)).json()) as Record<string, any>;
    expect(infra['totals']).toEqual({ devices: 4, online: 3, offline: 1, unreachable: 0, neverHeard: 0 });
    expect(infra['edges']).toEqual([{ id: 'edge-k', connected: null, since: null, compounds: 4, devices: 4, devicesOffline: 1 }]);
    expect(infra['causes']).toEqual([{ cause: 'devices-offline', compound: 'kc3', edge: 'edge-k', devices: ['kc3-fence'] }]);

    const dead = (await (await get('wb', '/api/console/deadletters', s)).json()) as Record<string, any>;
    expect(dead['byReason']).toEqual([expect.objectContaining({ reason: 'SS_HUB_BATCH_INVALID', count: 1, lastAt: C0 - 60_000 })]);
    expect(dead['atEdges']).toBeNull();
    expect(dead['recent']).toEqual([expect.objectContaining({ edge: 'edge-k', reason: 'SS_HUB_BATCH_INVALID', detail: 'not JSON' })]);

    const audit = (await (await get('wb', '/api/console/audit?limit=100', s)).json()) as Array<Record<string, any>>;
    expect(new Set(audit.map((a) => a['compound']))).toEqual(new Set(compounds.map((c) => c.id)));
    for (const a of audit) expect(a['at']).toBe(C0);
  });

  it('confirming an alarm from the console on B (session + CSRF) goes the decision path: the owner applies it; B\'s console shows it; the live stream says so', async () => {
    const s = await sessionOf(await login('wa'));
    // Without the CSRF header a session may read but not decide.
    const noCsrf = await post('wb', '/api/alarms/ev-kc0-1/confirm', s, false);
    expect([noCsrf.status, await codeOf(noCsrf)]).toEqual([401, 'SS_CASE_AUTH']);
    expect((await pool.query("SELECT status FROM alarms WHERE event_id = 'ev-kc0-1'")).rows[0].status).toBe('pending');

    // Open B's live stream first: the confirmation must reach it.
    const ctl = new AbortController();
    const stream = await fetch(`${urls.get('wb')}/api/console/events`, { headers: { cookie: s.cookie }, signal: ctl.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    const readUntil = async (what: RegExp, ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!what.test(text)) {
        if (Date.now() > deadline) throw new Error(`stream: no ${what} in ${JSON.stringify(text)}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil(/event: hello/, 10_000);

    const via = otherThanOwner('kc0');
    const r = await post(via, '/api/alarms/ev-kc0-1/confirm', s);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { alarm: { status: string; decided_by: string } }).alarm).toMatchObject({ status: 'confirmed', decided_by: 'operator' });
    // Applied by the owner of the partition under its epoch (not written by the API).
    const row = (await pool.query<{ status: string; partition: number; decided_epoch: string }>("SELECT status, partition, decided_epoch FROM alarms WHERE event_id = 'ev-kc0-1'")).rows[0]!;
    const lease = (await pool.query<{ epoch: string }>('SELECT epoch FROM partition_leases WHERE partition = $1', [row.partition])).rows[0]!;
    expect([row.status, row.decided_epoch]).toEqual(['confirmed', lease.epoch]);
    expect(workers.reduce((n, w) => n + w.stats.decisions, 0)).toBe(1);

    await readUntil(/event: alarm/, 15_000);
    ctl.abort();
    const confirmed = (await (await get('wb', '/api/console/alarms?status=confirmed', s)).json()) as Array<{ id: string; decidedBy: string }>;
    expect(confirmed.map((a) => [a.id, a.decidedBy])).toEqual([['ev-kc0-1', 'operator']]);
    expect(((await (await get('wa', '/api/console/overview', s)).json()) as { pendingAlarms: number }).pendingAlarms).toBe(2);
  });

  it('a session survives a worker restart; a logout on B ends it on A; 8 h after login it is gone everywhere', async () => {
    const s = await sessionOf(await login('wa'));
    await apis.get('wa')!.close();
    await api('wa');
    expect((await get('wa', '/api/console/overview', s)).status).toBe(200);
    expect((await post('wb', '/api/console/logout', s, false)).status).toBe(403);
    const out = await post('wb', '/api/console/logout', s);
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^ss_console=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    const after = await get('wa', '/api/console/overview', s);
    expect([after.status, await codeOf(after)]).toEqual([401, 'SS_WEB_SESSION']);

    const t = await sessionOf(await login('wb'));
    apiClock = C0 + H8 - 1;
    expect((await get('wa', '/api/console/session', t)).status).toBe(200);
    apiClock = C0 + H8;
    expect((await get('wa', '/api/console/session', t)).status).toBe(401);
    expect((await get('wb', '/api/console/overview', t)).status).toBe(401);
  });

  it('in Chromium: log in on A, the console on B (one host, as behind a load balancer) shows the queue and confirms an alarm through the owner', async () => {
    apiClock = C0;
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${urls.get('wa')}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('#token', OPERATOR);
      await page.click('#login-form button[type=submit]');
      await page.waitForURL(`${urls.get('wa')}/`);
      // A browser's cookies are per host, not per port: B gets the session A made.
      await page.goto(`${urls.get('wb')}/`);
      await page.waitForSelector('body[data-loaded]');
      expect(await page.locator('#glance-table tbody tr').count()).toBe(2);
      expect(await page.locator('#glance-summary').innerText()).toContain('connection state not known here');
      expect(await page.locator('#edges tbody tr[data-edge="edge-k"]').innerText()).toContain('not known here');
      const item = page.locator('li.alarm[data-alarm-id="ev-kc1-3"]');
      await item.waitFor();
      await item.locator('button[data-action=confirm]').click();
      await expect.poll(() => item.getAttribute('data-status'), { timeout: 15_000 }).toBe('confirmed');
      const row = (await pool.query<{ status: string; partition: number; decided_epoch: string }>("SELECT status, partition, decided_epoch FROM alarms WHERE event_id = 'ev-kc1-3'")).rows[0]!;
      const lease = (await pool.query<{ epoch: string }>('SELECT epoch FROM partition_leases WHERE partition = $1', [row.partition])).rows[0]!;
      expect([row.status, row.decided_epoch]).toEqual(['confirmed', lease.epoch]);
      // The live stream (PostgreSQL polled) is up.
      await expect.poll(() => page.locator('#live').getAttribute('class'), { timeout: 15_000 }).toContain('on');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
