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

  it('a device with a wrong password is reported, not thrown', async () => {
    broker = await startTestBroker({ passwords });
    const bad = { ...passwords, [c1.devices[0]!.id]: 'wrong' };
    const report = await runSimulation({ city, compoundIds: [c1.id], brokerUrl: broker.url, passwords: bad, seed: 5, ratePerSecond: 100, durationMs: 300 });
    expect(report.connectFailures.map((f) => f.device)).toEqual([c1.devices[0]!.id]);
    expect(report.errors).toBe(1);
    expect(broker.received.some((m) => m.clientId === c1.devices[0]!.id)).toBe(false);
  });

  it('an unreachable broker ends the run at once with every device reported', async () => {
    const report = await runSimulation({ city, compoundIds: [c1.id], brokerUrl: 'mqtt://127.0.0.1:9', passwords, seed: 6, ratePerSecond: 10 });
    expect(report.stoppedBy).toBe('no-devices');
    expect(report.connectFailures).toHaveLength(c1.devices.length);
    expect(report.sent).toBe(0);
  });
});
