import { afterEach, describe, expect, it } from 'vitest';
import { generateCity } from '../../simulators/city.ts';
import { runSimulation } from '../../simulators/run.ts';
import { parseTopic } from '../../protocol/topics.ts';
import { startTestBroker, type TestBroker } from './broker.ts';

const city = generateCity({ compounds: 2, seed: 11 });
const c1 = city.compounds[0]!;
const passwords = Object.fromEntries(c1.devices.map((d, i) => [d.id, `pw-${i}`]));

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('runSimulation against a real aedes', () => {
  it('every acknowledged message arrived, on the device topics, with online first', async () => {
    broker = await startTestBroker({ passwords });
    const report = await runSimulation({ city, compoundIds: [c1.id], brokerUrl: broker.url, passwords, seed: 3, ratePerSecond: 300, durationMs: 1500 });
    expect(report.errors).toBe(0);
    expect(report.connectFailures).toEqual([]);
    expect(report.acked).toBe(report.sent);
    expect(broker.received.length).toBe(report.acked);
    expect(report.acked).toBeGreaterThan(200);
    const states = broker.received.filter((m) => m.topic.endsWith('/state'));
    expect(states.length).toBe(c1.devices.length);
    expect(states.every((m) => m.payload.toString() === 'online')).toBe(true);
    for (const m of broker.received) {
      const t = parseTopic(m.topic);
      expect(t.ok).toBe(true);
      if (t.ok && t.topic.scope === 'device') {
        expect(t.topic.device).toBe(m.clientId);
        expect(t.topic.compound).toBe(c1.id);
      }
    }
    expect(report.byChannel['events']).toBe(broker.received.filter((m) => m.topic.endsWith('/events')).length);
    expect(report.expectedEvents).toBeGreaterThanOrEqual(report.acked - (report.byChannel['events'] ?? 0));
  });

  it('maxEvents stops at exactly that many expected events', async () => {
    broker = await startTestBroker({ passwords });
    const report = await runSimulation({ city, compoundIds: [c1.id], brokerUrl: broker.url, passwords, seed: 4, ratePerSecond: 2000, maxEvents: 500 });
    expect(report.stoppedBy).toBe('maxEvents');
    expect(report.expectedEvents).toBe(500);
    expect(broker.received.length).toBe(report.acked);
  });

  it('a device with a wrong password is reported, not thrown, and keeps retrying with growing delays', async () => {
    broker = await startTestBroker({ passwords });
    const dev = c1.devices[0]!.id;
    const bad = { ...passwords, [dev]: 'wrong' };
    const report = await runSimulation({
      city, compoundIds: [c1.id], brokerUrl: broker.url, passwords: bad, seed: 5, ratePerSecond: 100, durationMs: 2000,
      connectRetry: { baseMs: 100, maxMs: 800 },
    });
    expect(report.connectFailures.map((f) => f.device)).toEqual([dev]);
    expect(report.connectFailures[0]).toMatchObject({ code: 'SS_SIM_CONNECT_REFUSED', recovered: false });
    expect(report.neverConnected).toBe(1);
    expect(report.errors).toBe(1); // one device never in; its retries are counted, not errors
    expect(broker.received.some((m) => m.clientId === dev)).toBe(false);
    // Backoff: 100, 200, 400, 800, 800… ms, each jittered to 50–100 %: a few tries in 2 s, never a storm.
    const times = broker.attempts.get(dev)!;
    // Every refusal the simulator saw is counted. The broker may have logged one more: an attempt
    // still waiting for its CONNACK when the run ends is aborted (SS_SIM_CONNECT_ABORTED), not a
    // failure of the device (CI under faketime saw 7 at the broker, 6 refused).
    expect(report.connectAttemptsFailed).toBeLessThanOrEqual(times.length);
    expect(report.connectAttemptsFailed).toBeGreaterThanOrEqual(times.length - 1);
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times.length).toBeLessThanOrEqual(12);
    // Lower bounds only (a loaded machine delays timers, never hastens them): gap i is at least
    // half its ceiling min(800, 100·2^i), minus a little clock slack.
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    gaps.forEach((g, i) => expect(g, `gap ${i}`).toBeGreaterThanOrEqual(0.5 * Math.min(800, 100 * 2 ** i) - 15));
  });

  it('devices refused while the edge is busy get in on a retry and then send; the summary counts the failures', async () => {
    const slow = new Set(c1.devices.slice(0, 3).map((d) => d.id));
    // Each of three devices is turned away twice ('server unavailable'), then let in.
    broker = await startTestBroker({ passwords, busy: (id, n) => slow.has(id) && n <= 2 });
    const report = await runSimulation({
      city, compoundIds: [c1.id], brokerUrl: broker.url, passwords, seed: 8, ratePerSecond: 200, durationMs: 2500,
      connectRetry: { baseMs: 50, maxMs: 400 },
    });
    expect(report.connectAttemptsFailed).toBe(6);
    expect(report.connectFailures).toHaveLength(3);
    expect(report.connectFailures.every((f) => f.recovered && f.attempts === 2)).toBe(true);
    expect(report.neverConnected).toBe(0);
    expect(report.errors).toBe(0);
    for (const id of slow) {
      expect(broker.received.filter((m) => m.clientId === id && m.topic.endsWith('/state'))).toHaveLength(1);
      expect(broker.received.some((m) => m.clientId === id && !m.topic.endsWith('/state'))).toBe(true);
    }
  });

  it('a device whose link the broker cuts comes back on its own, and reports every message with its outcome', async () => {
    broker = await startTestBroker({ passwords });
    const seen: { device: string; acked: boolean; will?: boolean }[] = [];
    const target = c1.devices[1]!.id;
    let cut = false;
    const report = await runSimulation({
      city, compoundIds: [c1.id], brokerUrl: broker.url, passwords, seed: 9, ratePerSecond: 200, durationMs: 2500,
      connectRetry: { baseMs: 50, maxMs: 200 },
      onMessage: (m) => {
        seen.push({ device: m.device, acked: m.acked, ...(m.will ? { will: true } : {}) });
      },
      onProgress: () => {
        if (cut) return;
        // The broker (not the device) closes the link, as an edge does when it refuses something.
        cut = broker!.kick(target);
      },
      progressEveryMs: 700,
    });
    expect(report.lostConnections).toBe(1);
    // online; the Will the broker published when it cut the link; online again after the retry.
    expect(broker.received.filter((m) => m.clientId === target && m.topic.endsWith('/state')).map((m) => m.payload.toString())).toEqual(['online', 'offline', 'online']);
    expect(report.neverConnected).toBe(0);
    expect(seen.filter((m) => m.will && m.device === target)).toHaveLength(1);
    expect(seen.filter((m) => m.acked)).toHaveLength(report.acked);
  });

  it('an unreachable broker ends the run at once with every device reported', async () => {
    const report = await runSimulation({ city, compoundIds: [c1.id], brokerUrl: 'mqtt://127.0.0.1:9', passwords, seed: 6, ratePerSecond: 10 });
    expect(report.stoppedBy).toBe('no-devices');
    expect(report.connectFailures).toHaveLength(c1.devices.length);
    expect(report.sent).toBe(0);
  });
});
