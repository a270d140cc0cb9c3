import { connect as tcpConnect, type Socket } from 'node:net';
import mqtt, { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../edge/edge.ts';
import { LoginThrottle } from '../../edge/auth/login-throttle.ts';
import { PASSWORD, connectDevice, device, siteConfig, startHubStandIn, tempDir, until } from './helpers.ts';

/**
 * Issue 12: failed logins are throttled per source address and per device id with growing
 * delays, and one host can't hold every connection slot. Functional only: the PUBACK latency a
 * storm leaves other devices is measured by bench/edge-auth-storm.ts, not asserted here.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(broker: Record<string, unknown> = {}): Promise<Edge> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const hub = await startHubStandIn();
  cleanups.push(() => hub.close());
  const edge = await startEdge(siteConfig(t.dir, hub.url, [device('f1'), device('f2')], {
    broker: { host: '127.0.0.1', port: 0, maxPayloadBytes: 16_384, maxMessagesPerDevicePerSecond: 1000, maxConnections: 300, ...broker },
  }), { connectTimeoutMs: 3000 });
  cleanups.push(() => edge.close());
  return edge;
}

const refusedCount = async (edge: Edge, code: string): Promise<number> => {
  const m = (await (await fetch(`${edge.apiUrl}/metrics`)).text()).match(new RegExp(`safestar_edge_refused_total\\{code="${code}"\\} (\\d+)`));
  return m ? Number(m[1]) : 0;
};

/** One CONNECT attempt; resolves with the CONNACK return code (0 = in; -1: cut before CONNACK). */
function attempt(url: string, username: string, password: string, localAddress?: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const c = new MqttClient(() => tcpConnect({ port: Number(u.port), host: u.hostname, ...(localAddress ? { localAddress } : {}) }), {
      clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4,
    });
    c.once('connect', () => {
      c.end(true);
      resolve(0);
    });
    c.once('close', () => resolve(-1)); // no-op once settled; else: cut before any CONNACK
    c.once('error', (e: Error & { code?: number }) => {
      c.end(true);
      if (typeof e.code === 'number') resolve(e.code);
      else if (e.message.includes('ECONNRESET')) resolve(-1); // cut by the address cap
      else reject(e);
    });
  });
}

describe('failed-login throttle (pure)', () => {
  it('blocks after the free failures with doubling delays, and forgets on success', () => {
    const t = new LoginThrottle({ freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 4000 });
    t.failed('k', 0);
    t.failed('k', 0);
    expect(t.blockedFor('k', 0)).toBe(0);
    t.failed('k', 0);
    expect(t.blockedFor('k', 0)).toBe(1000);
    t.failed('k', 1000);
    expect(t.blockedFor('k', 1000)).toBe(2000);
    t.failed('k', 3000);
    t.failed('k', 7000);
    expect(t.blockedFor('k', 7000)).toBe(4000); // capped
    t.succeeded('k');
    expect(t.blockedFor('k', 7000)).toBe(0);
  });
});

describe('failed-login throttle at the broker', () => {
  it('refuses further guesses for a device id with SS_AUTH_THROTTLED, while the real device still gets in', async () => {
    const edge = await setup();
    // The real device has logged in once: its proven password is honoured while its id is throttled.
    const real = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    await new Promise<void>((r) => real.end(false, {}, () => r()));
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push(await attempt(edge.brokerUrl, 'f1', `guess-${i}`));
    expect(codes.every((c) => c === 4 || c === 5)).toBe(true);
    expect(await refusedCount(edge, 'SS_AUTH_BAD_PASSWORD')).toBe(4);
    expect(await refusedCount(edge, 'SS_AUTH_THROTTLED')).toBe(2);
    const dev = (await (await fetch(`${edge.apiUrl}/devices/f1`)).json()) as { lastError: { code: string } };
    expect(dev.lastError.code).toBe('SS_AUTH_THROTTLED');
    expect(await attempt(edge.brokerUrl, 'f1', PASSWORD)).toBe(0);
    // Another device is not affected by f1's throttle (f2 logs in from another address).
    expect(await attempt(edge.brokerUrl, 'f2', PASSWORD, '127.0.0.2')).toBe(0);
  });

  it('200 parallel wrong passwords for one id cost a few password checks, the rest are refused at once', async () => {
    const edge = await setup();
    const codes = await Promise.all(Array.from({ length: 200 }, (_, i) => attempt(edge.brokerUrl, 'f1', `guess-${i}`)));
    expect(codes.filter((c) => c === 0)).toHaveLength(0);
    const checked = await refusedCount(edge, 'SS_AUTH_BAD_PASSWORD');
    // 3 free failures, then one check per expired delay (1 s, 2 s, ...) while the 200 are being refused.
    expect(checked).toBeLessThanOrEqual(8);
    // Past 75 at once from one address (maxConnections / 4), the address cap cuts them before CONNECT.
    const cut = await refusedCount(edge, 'SS_GUARD_ADDRESS_CAP');
    expect(codes.filter((c) => c === -1)).toHaveLength(cut);
    expect(checked + (await refusedCount(edge, 'SS_AUTH_THROTTLED')) + cut).toBe(200);
  });

  it('throttles an address that tries unknown device ids', async () => {
    const edge = await setup();
    for (let i = 0; i < 12; i++) await attempt(edge.brokerUrl, `ghost-${i}`, 'x', '127.0.0.3');
    expect(await refusedCount(edge, 'SS_AUTH_UNKNOWN_DEVICE')).toBe(11);
    expect(await refusedCount(edge, 'SS_AUTH_THROTTLED')).toBe(1);
    expect(await attempt(edge.brokerUrl, 'f1', PASSWORD, '127.0.0.4')).toBe(0);
  });

  it('caps connections still logging in per address, so idle sockets from one host cannot hold every slot', async () => {
    const edge = await setup({ maxConnections: 20, maxPendingConnectionsPerAddress: 5 });
    const u = new URL(edge.brokerUrl);
    const idle: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = tcpConnect({ port: Number(u.port), host: u.hostname, localAddress: '127.0.0.5' });
      s.on('error', () => undefined);
      idle.push(s);
      cleanups.push(() => void s.destroy());
    }
    await until(async () => (await refusedCount(edge, 'SS_GUARD_ADDRESS_CAP')) === 15, 5000, 'address cap refusals');
    const c = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    expect(c.connected).toBe(true);
    void mqtt;
  });
});
