import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge } from '../../edge/edge.ts';
import { DEFAULT_MODEL } from '../../edge/main.ts';
import { createOnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import { PASSWORD, connectDevice, device, fenceAlarm, publish, siteConfig, startHubStandIn, tempDir, topicOf, until } from './helpers.ts';

/** The real ONNX scorer (models/) plugged into the edge's scorer port: events reach the hub scored. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('edge with the ONNX scorer', () => {
  it('ships the default model and stores model scores on forwarded events', async () => {
    expect(existsSync(DEFAULT_MODEL)).toBe(true);
    const t = tempDir();
    cleanups.push(t.cleanup);
    const hub = await startHubStandIn();
    cleanups.push(() => hub.close());
    const scorer = await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false });
    const d = device('f1');
    const edge = await startEdge(siteConfig(t.dir, hub.url, [d]), { scorer, scoreTimeoutMs: 2000 });
    cleanups.push(() => edge.close());
    const c = await connectDevice(edge.brokerUrl, { clientId: 'f1', username: 'f1', password: PASSWORD });
    cleanups.push(() => void c.end(true));
    await Promise.all(Array.from({ length: 20 }, (_, i) => publish(c, topicOf(d), fenceAlarm(i))));
    await edge.drain(10_000);
    await until(() => hub.events.length >= 20);
    const scored = hub.events.filter((e) => e['score'] !== undefined);
    expect(scored.length).toBeGreaterThan(0);
    expect(scored[0]?.['score']).toMatchObject({ model: expect.any(String), value: expect.any(Number), anomalous: expect.any(Boolean) });
    const h = (await (await fetch(`${edge.apiUrl}/health`)).json()) as { scorer: { state: string } };
    expect(h.scorer.state).toBe('ok');
  });
});
