import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { connect, connectAsync, type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../common/password.ts';
import { startEdge } from '../../edge/edge.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { edgeTopic } from '../../protocol/topics.ts';
import { generateCity } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';
import { tempDir, until } from './helpers.ts';

/**
 * TLS on the hub's API (https) and MQTT (mqtts), and on the edge's uplink (uplink.caFile; client
 * certificates optional), with a CA and certificates this test makes with openssl.
 */
const dir = tempDir('safestar-hub-tls-');
const f = (n: string): string => join(dir, n);
const SECRET = 'tls-edge-secret-0123456789';
const city = generateCity({ compounds: 1, seed: 4 });
const edges = [{ id: 'edge-t', passwordHash: hashPassword(SECRET), compounds: ['c0001'] }];
const hubs: Hub[] = [];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A key and a certificate for `cn` signed by the test CA (server: SAN IP 127.0.0.1). */
function signed(name: string, cn: string, server: boolean): void {
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`]);
  execFileSync('sh', ['-c', `printf '%s\\n' '${server ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth' : 'extendedKeyUsage=clientAuth'}' > ${f(`${name}.ext`)}`]);
  openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-out', f(`${name}.crt`), '-extfile', f(`${name}.ext`)]);
}

beforeAll(() => {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=Safestar test CA']);
  signed('hub', '127.0.0.1', true);
  signed('edge', 'edge-t', false);
});
afterAll(async () => {
  for (const h of hubs) await h.close();
});

async function tlsHub(clientCa: boolean): Promise<Hub> {
  const h = await startHub({
    dataDir: tempDir(),
    mqtt: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
    city,
    edges,
    tls: { key: readFileSync(f('hub.key')), cert: readFileSync(f('hub.crt')), ...(clientCa ? { clientCa: readFileSync(f('ca.crt')) } : {}) },
    log: false,
  });
  hubs.push(h);
  return h;
}

function httpsJson(url: string, ca?: Buffer): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, ca ? { ca } : {}, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

/**
 * 'connected', or why not. mqtt.js' connectAsync does not settle on every TLS failure (with
 * reconnectPeriod 0 it may just close), so this waits for the first of connect, error, close.
 */
function tryConnect(url: string, o: IClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(url, o);
    const done = (r: string): void => {
      c.end(true);
      resolve(r);
    };
    c.once('connect', () => done('connected'));
    c.once('error', (e) => done(e.message));
    c.once('close', () => done('closed'));
  });
}

const mqttOpts = (o: IClientOptions): IClientOptions => ({ clientId: 'edge-t', username: 'edge-t', password: SECRET, reconnectPeriod: 0, connectTimeout: 5000, ...o });

async function edgeConnects(h: Hub, tls: { caFile?: string; certFile?: string; keyFile?: string }): Promise<boolean> {
  const kit = siteConfigForCity(city, { edgeId: 'edge-t', compoundIds: ['c0001'], hubUrl: h.mqttUrl, dataDir: tempDir(), uplinkPassword: SECRET, hash: () => edges[0]!.passwordHash });
  const edge = await startEdge({ ...kit.config, uplink: { ...kit.config.uplink, ...tls } }, { log: false, uplinkReconnectMs: 200 });
  try {
    await until(async () => ((await (await fetch(`${edge.apiUrl}/health`)).json()) as { uplink: { connected: boolean } }).uplink.connected, 4000, 'uplink');
    return true;
  } catch {
    return false;
  } finally {
    await edge.close();
  }
}

describe('hub TLS', () => {
  it('serves the API over https with its certificate, and nothing over plain http', async () => {
    const h = await tlsHub(false);
    expect(h.apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await httpsJson(`${h.apiUrl}/api/compounds`, readFileSync(f('ca.crt')));
    expect(r.status).toBe(200);
    expect((r.body as Array<{ id: string }>).map((c) => c.id)).toEqual(['c0001']);
    await expect(httpsJson(`${h.apiUrl}/api/compounds`)).rejects.toThrow(/self.signed|unable to (get|verify)|certificate/i);
    await expect(fetch(h.apiUrl.replace('https:', 'http:') + '/health')).rejects.toThrow();
  });

  it('takes edges over mqtts only, verified by the CA file; the edge uplink connects with uplink.caFile', async () => {
    const h = hubs[0]!;
    expect(h.mqttUrl).toMatch(/^mqtts:\/\//);
    const ok = await connectAsync(h.mqttUrl, mqttOpts({ ca: readFileSync(f('ca.crt')) }));
    expect(ok.connected).toBe(true);
    await ok.endAsync();
    expect(await tryConnect(h.mqttUrl, mqttOpts({}))).toMatch(/self.signed|unable to (get|verify)|certificate/i);
    expect(await tryConnect(h.mqttUrl.replace('mqtts:', 'mqtt:'), mqttOpts({}))).not.toBe('connected');
    expect(await edgeConnects(h, { caFile: f('ca.crt') })).toBe(true);
    expect(await edgeConnects(h, {})).toBe(false); // the system CAs don't know the test CA
  });

  it('still cuts an oversized packet behind TLS, with a code and a counter', async () => {
    const h = hubs[0]!;
    const c = await connectAsync(h.mqttUrl, mqttOpts({ ca: readFileSync(f('ca.crt')) }));
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(edgeTopic('edge-t', 'events'), Buffer.alloc(9 * 1024 * 1024, 0x20), { qos: 1 });
    await closed;
    await c.endAsync(true);
    const r = await new Promise<string>((resolve, reject) => {
      httpsGet(`${h.apiUrl}/metrics`, { ca: readFileSync(f('ca.crt')) }, (res) => {
        let t = '';
        res.on('data', (b: Buffer) => (t += b.toString()));
        res.on('end', () => resolve(t));
      }).on('error', reject);
    });
    expect(r).toMatch(/safestar_hub_mqtt_refused_total\{code="SS_HUB_MQTT_PACKET_SIZE"\} 1/);
  });

  it('with a client CA, refuses an edge without a certificate and takes one with uplink.certFile/keyFile', async () => {
    const h = await tlsHub(true);
    expect(await tryConnect(h.mqttUrl, mqttOpts({ ca: readFileSync(f('ca.crt')) }))).not.toBe('connected');
    const ok = await connectAsync(h.mqttUrl, mqttOpts({ ca: readFileSync(f('ca.crt')), cert: readFileSync(f('edge.crt')), key: readFileSync(f('edge.key')) }));
    expect(ok.connected).toBe(true);
    await ok.endAsync();
    expect(await edgeConnects(h, { caFile: f('ca.crt') })).toBe(false);
    expect(await edgeConnects(h, { caFile: f('ca.crt'), certFile: f('edge.crt'), keyFile: f('edge.key') })).toBe(true);
  });
});
