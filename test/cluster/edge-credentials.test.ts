import { connect as tcpConnect } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectAsync, type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPasswordSync } from '../../common/password.ts';
import { createTempDatabase } from '../../common/pg.ts';
import { EdgeAuth } from '../../hub/auth.ts';
import type { HubBroker } from '../../hub/broker.ts';
import { addPgEdge, listPgEdges, PgEdgeCredentials, revokePgEdge } from '../../hub/cluster/edge-credentials.ts';
import { startIngressServer, type IngressCounters } from '../../hub/cluster/ingressServer.ts';
import { DEAD_LETTER_SUBJECT } from '../../hub/cluster/partition.ts';
import type { DeadLetterDraft } from '../../hub/ingest/parse.ts';
import { edgeTopic } from '../../protocol/topics.ts';
import { startClusterBase, type ClusterBase } from './fixtures.ts';
import { batchPayload, clusterEvent, storedEventIds, storedMessages, until } from './helpers.ts';

const quietLog = { info() {}, warn() {}, error() {} };

/** Dead letters in the stream's `ss.dl` subject (read up to the stream's last sequence, see storedMessages). */
async function storedDeadLetters(nc: NatsConnection): Promise<DeadLetterDraft[]> {
  return (await storedMessages(nc, DEAD_LETTER_SUBJECT)).flatMap((m) => m.json<DeadLetterDraft[]>());
}

/**
 * Zero trust in cluster mode: two ingress servers, each with its own view of the credentials in
 * one PostgreSQL (as two processes would have), real aedes and a real 3-node NATS. Edges are
 * authenticated exactly as by the embedded hub (same codes), the compound scope holds, a revoke
 * reaches both ingresses, and the packet-size guard is in front.
 */
describe('cluster ingress: edge credentials in PostgreSQL (real PostgreSQL, aedes, 3-node NATS)', () => {
  let base: ClusterBase;
  let nc: NatsConnection;
  let db: ClusterBase['db'];
  let pool: pg.Pool;
  const ingress: Array<{ broker: HubBroker; counters: IngressCounters; creds: PgEdgeCredentials; pool: pg.Pool }> = [];
  const clients: MqttClient[] = [];
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    base = await startClusterBase({ db: 'ss_edge_creds', poolMax: 2 });
    ({ nc, db, pool } = base);
    secrets.set('edge-1', await addPgEdge(pool, 'edge-1', ['c1', 'c1']));
    secrets.set('edge-2', await addPgEdge(pool, 'edge-2', ['c2']));
    for (let i = 0; i < 2; i++) {
      const own = new pg.Pool({ connectionString: db.url, max: 1 });
      const creds = await PgEdgeCredentials.open(own, { refreshMs: 200, log: quietLog });
      creds.start();
      const { broker, counters } = await startIngressServer({ nc, auth: new EdgeAuth(() => creds.edges()), host: '127.0.0.1', port: 0, ackTimeoutMs: 5000, log: quietLog });
      ingress.push({ broker, counters, creds, pool: own });
    }
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    for (const i of ingress) {
      i.creds.stop();
      await i.broker.close();
      await i.pool.end();
    }
    await base?.stop();
  });

  const edge = async (k: number, id: string, password: string | undefined): Promise<MqttClient> => {
    const c = await connectAsync(ingress[k]!.broker.url, { clientId: id, username: id, ...(password !== undefined ? { password } : {}), clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    return c;
  };
  const refusedConnect = (k: number, id: string, password: string | undefined): Promise<string> =>
    edge(k, id, password).then(() => 'connected', (e: Error) => e.message);

  it('stores only a scrypt hash and the scope; lists without secrets', async () => {
    const rows = (await pool.query<{ id: string; password_hash: string }>('SELECT id, password_hash FROM edge_credentials ORDER BY id')).rows;
    expect(rows.map((r) => r.id)).toEqual(['edge-1', 'edge-2']);
    expect(rows[0]!.password_hash).toMatch(/^scrypt\$/);
    expect(rows[0]!.password_hash).not.toContain(secrets.get('edge-1')!);
    expect(verifyPasswordSync(secrets.get('edge-1')!, rows[0]!.password_hash)).toBe(true);
    expect((await listPgEdges(pool)).map((e) => [e.id, e.compounds])).toEqual([['edge-1', ['c1']], ['edge-2', ['c2']]]);
    await expect(addPgEdge(pool, 'edge/x', ['c1'])).rejects.toThrow(/SS_HUB_CONFIG: edge id/);
    await expect(addPgEdge(pool, 'edge-x', [])).rejects.toThrow(/SS_HUB_CONFIG: --compounds/);
  });

  it('refuses an edge without a secret, with a wrong one, or under another username (SS_HUB_EDGE_AUTH, counted)', async () => {
    expect(await refusedConnect(0, 'edge-1', undefined)).toMatch(/Bad username or password|Not authorized/i);
    expect(await refusedConnect(0, 'edge-1', 'not-the-secret')).toMatch(/Bad username or password|Not authorized/i);
    expect(await refusedConnect(1, 'edge-9', 'anything')).toMatch(/Bad username or password|Not authorized/i);
    const spoof = await connectAsync(ingress[1]!.broker.url, { clientId: 'edge-1', username: 'edge-2', password: secrets.get('edge-2')!, reconnectPeriod: 0, connectTimeout: 5000 }).then(() => 'connected', (e: Error) => e.message);
    expect(spoof).not.toBe('connected');
    expect(ingress[0]!.counters.refusedByCode.SS_HUB_EDGE_AUTH).toBe(2);
    expect(ingress[1]!.counters.refusedByCode.SS_HUB_EDGE_AUTH).toBe(2);
  });

  it('an edge publishing for a compound outside its scope: those events are dead letters (SS_DL_EDGE_SCOPE), the rest stored', async () => {
    const c = await edge(0, 'edge-1', secrets.get('edge-1'));
    const mine = Array.from({ length: 10 }, (_, i) => clusterEvent(1, i));
    const foreign = clusterEvent(1, 100, { compound: 'c2', id: 'edge-1:foreign:1' });
    await c.publishAsync(edgeTopic('edge-1', 'events'), batchPayload(1, [...mine, foreign]), { qos: 1 });
    const stored = await storedEventIds(nc);
    expect(stored).toEqual(expect.arrayContaining(mine.map((e) => e.id)));
    expect(stored).not.toContain(foreign.id);
    expect(ingress[0]!.counters.deadLettersByReason.SS_DL_EDGE_SCOPE).toBe(1);
    const dl = await storedDeadLetters(nc);
    expect(dl).toEqual([expect.objectContaining({ edge: 'edge-1', reason: 'SS_DL_EDGE_SCOPE' })]);
    expect(dl[0]!.raw).toContain(foreign.id);
  });

  it('a revoke reaches every ingress: connected sessions are closed at their next publish (SS_HUB_EDGE_REVOKED), new CONNECTs refused', async () => {
    const a = await edge(0, 'edge-2', secrets.get('edge-2'));
    const b = await edge(1, 'edge-2', secrets.get('edge-2'));
    await a.publishAsync(edgeTopic('edge-2', 'events'), batchPayload(2, [clusterEvent(2, 1)]), { qos: 1 });
    const before = ingress.map((i) => i.creds.version);
    expect(await revokePgEdge(pool, 'edge-2')).toBe(true);
    expect(await revokePgEdge(pool, 'edge-2')).toBe(false);
    await until(() => ingress.every((i, k) => i.creds.version > before[k]! && !i.creds.edges().some((e) => e.id === 'edge-2')), 10_000, 'both ingresses re-reading the credentials');
    const late = [clusterEvent(2, 2), clusterEvent(2, 3)];
    const outcome = (c: MqttClient, e: (typeof late)[number]): Promise<string> =>
      Promise.race([
        c.publishAsync(edgeTopic('edge-2', 'events'), batchPayload(2, [e]), { qos: 1 }).then(() => 'puback', () => 'no-puback'),
        new Promise<string>((r) => c.once('close', () => r('no-puback'))),
      ]);
    expect(await outcome(a, late[0]!)).toBe('no-puback');
    expect(await outcome(b, late[1]!)).toBe('no-puback');
    expect(ingress[0]!.counters.refusedByCode.SS_HUB_EDGE_REVOKED).toBe(1);
    expect(ingress[1]!.counters.refusedByCode.SS_HUB_EDGE_REVOKED).toBe(1);
    expect(await refusedConnect(1, 'edge-2', secrets.get('edge-2'))).toMatch(/Bad username or password|Not authorized/i);
    const stored = await storedEventIds(nc);
    expect(stored).toContain(clusterEvent(2, 1).id);
    expect(stored).not.toContain(late[0]!.id);
    expect(stored).not.toContain(late[1]!.id);
  });

  it('re-issuing a secret retires the old one', async () => {
    const old = secrets.get('edge-1')!;
    const fresh = await addPgEdge(pool, 'edge-1', ['c1']);
    await until(() => ingress.every((i) => i.creds.edges().find((e) => e.id === 'edge-1' && verifyPasswordSync(fresh, e.passwordHash)) !== undefined), 10_000, 'the new secret on both ingresses');
    expect(await refusedConnect(1, 'edge-1', old)).toMatch(/Bad username or password|Not authorized/i);
    expect(await refusedConnect(1, 'edge-1', fresh)).toBe('connected');
    secrets.set('edge-1', fresh);
  });

  it('the packet-size guard is in front: a non-CONNECT first packet and an oversized CONNECT are cut before they are read', async () => {
    const cut = (bytes: Buffer): Promise<void> =>
      new Promise((resolve, reject) => {
        const s = tcpConnect(ingress[0]!.broker.port, '127.0.0.1', () => s.write(bytes));
        s.on('close', () => resolve());
        s.on('error', () => undefined);
        setTimeout(() => reject(new Error('connection not cut')), 10_000).unref();
      });
    // PUBLISH (type 3) as the first packet.
    await cut(Buffer.from([0x30, 0x02, 0x00, 0x00]));
    // A CONNECT announcing 1 MB (remaining length 0x80 0x80 0x40 = 1,048,576): over the 4 KiB CONNECT limit.
    await cut(Buffer.from([0x10, 0x80, 0x80, 0x40]));
    expect(ingress[0]!.counters.refusedByCode.SS_HUB_MQTT_FIRST_PACKET).toBe(1);
    expect(ingress[0]!.counters.refusedByCode.SS_HUB_MQTT_PACKET_SIZE).toBe(1);
  });

  it('PostgreSQL unreachable later: the last good list stays in force and the problem is said (no open door, no outage)', async () => {
    const own = new pg.Pool({ connectionString: db.url, max: 1 });
    const creds = await PgEdgeCredentials.open(own);
    const ids = creds.edges().map((e) => e.id);
    expect(ids).toEqual(['edge-1']);
    await own.end();
    expect(await creds.refresh()).toBe(false);
    expect(creds.problem).toMatch(/last good list stays in force/);
    expect(creds.edges().map((e) => e.id)).toEqual(ids);
    // And a database that was never migrated is an error at start, not an empty list.
    const bare = await createTempDatabase('ss_edge_creds_bare');
    const p = new pg.Pool({ connectionString: bare.url, max: 1 });
    await expect(PgEdgeCredentials.open(p)).rejects.toThrow(/SS_HUB_CREDENTIALS: cannot read edge_credentials/);
    await p.end();
    await bare.drop();
  });
});
