import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge } from '../../edge/edge.ts';
import { PASSWORD, connectDevice, device, fenceAlarm, publish, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/** Device broker over TLS, with and without client certificates (certificates made by openssl here). */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function makePki(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=safestar-test-ca');
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who}`);
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.crt`), '-days', '1', '-extfile', f('san.ext'));
  }
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

describe('device broker over TLS', () => {
  it('serves mqtts, requires client certificates when asked, and keeps the byte guard on decrypted bytes', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const pki = makePki(t.dir);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const d = device('f1');
    const edge = await startEdge(siteConfig(join(t.dir, 'data'), hub.url, [d], {
      broker: {
        host: '127.0.0.1', port: 0, maxPayloadBytes: 16_384, maxMessagesPerDevicePerSecond: 1000, maxConnections: 10,
        tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.ca, requireClientCert: true },
      },
    }));
    cleanups.push(() => edge.close());
    expect(edge.brokerUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(pki.ca);

    // No client certificate: the TLS handshake fails and is counted.
    await expect(connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD, ca })).rejects.toThrow();
    await until(async () => (await (await fetch(`${edge.apiUrl}/metrics`)).text()).includes('code="SS_GUARD_TLS"'), 5000, 'TLS refusal counted');

    const c = await connectDevice(edge.brokerUrl, {
      clientId: 'f1', username: 'f1', password: PASSWORD, ca, cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey),
    });
    cleanups.push(() => void c.end(true));
    await publish(c, topicOf(d), fenceAlarm(1));
    await edge.drain(5000);
    await until(() => hub.events.length === 1);
    expect(hub.events[0]?.['device']).toBe('f1');

    // The guard still applies inside TLS: garbage instead of CONNECT is cut.
    const port = Number(new URL(edge.brokerUrl.replace('mqtts', 'http')).port);
    const s = tlsConnect({ host: '127.0.0.1', port, ca, cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) });
    cleanups.push(() => void s.destroy());
    await new Promise<void>((r) => s.once('secureConnect', () => r()));
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.on('error', () => undefined);
    s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await closed;
    expect(await (await fetch(`${edge.apiUrl}/metrics`)).text()).toContain('safestar_edge_refused_total{code="SS_GUARD_FIRST_PACKET"} 1');
  });
});
