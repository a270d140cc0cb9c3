import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { runSimulation } from '../../simulators/run.ts';

/** Devices over TLS (mqtts://) trusting a given CA, as `sim site --ca FILE` does. */
const dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
let server: Server;
let broker: Aedes;
let url = '';
let received = 0;

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  broker = await Aedes.createBroker({ authorizePublish: (_c, _p, cb) => { received++; cb(null); } });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `mqtts://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  const city = generateCity({ compounds: 1, seed: 2 });
  it('connects with the CA and delivers everything', async () => {
    const r = await runSimulation({ city, compoundIds: ['c0001'], brokerUrl: url, passwords: {}, seed: 1, ratePerSecond: 100, maxEvents: 120, tls: { ca: readFileSync(join(dir, 'cert.pem')) } });
    expect(r.errors).toBe(0);
    expect(r.acked).toBe(received);
    expect(r.expectedEvents).toBe(120);
  });

  it('refuses a server it does not trust', async () => {
    const r = await runSimulation({ city, compoundIds: ['c0001'], brokerUrl: url, passwords: {}, seed: 1, ratePerSecond: 100, maxEvents: 10 });
    expect(r.stoppedBy).toBe('no-devices');
    expect(r.connectFailures[0]?.reason).toMatch(/self.signed|certificate/i);
  });
});
