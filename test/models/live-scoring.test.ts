import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxScorer, type OnnxScorer } from '../../edge/scoring/onnx-scorer.ts';
import type { Event } from '../../protocol/event.ts';
import { artifactPaths } from '../../models/artifacts.ts';
import { RECIPE } from '../../models/recipe.ts';
import { evaluationPlan } from '../../models/scenario-plan.ts';
import { generateCity } from '../../simulators/city.ts';
import { generateTraffic } from '../../simulators/traffic.ts';

const DAY = 86_400_000;

/**
 * The edge's scorer with the committed model on simulator traffic: a warm-up day of normal
 * traffic, then a night with a burglary in every compound. Events are built the way the edge
 * builds them (canonical Event v1 from each message's intent), scored in group-commit-sized batches.
 */
describe('live scoring of simulator traffic with the committed model', () => {
  const city = generateCity({ compounds: 3, seed: 22 });
  const start = Date.parse('2026-10-07T00:00:00+08:00');
  const plan = evaluationPlan({ city, seed: 7, fromMs: start + DAY, days: 1, perCompoundDay: 1, scenarios: ['burglary-night'] });
  let scorer: OnnxScorer | undefined;
  afterAll(async () => {
    await scorer?.close();
  });

  it('scores every device event and flags burglary events', async () => {
    scorer = await createOnnxScorer({ modelPath: artifactPaths(join(import.meta.dirname, '../../models'), RECIPE).onnx, watchIntervalMs: false });
    expect(scorer.status()).toMatchObject({ state: 'ok', model: 'ae16-1.0.0' });
    const district = new Map(city.compounds.map((c) => [c.id, c.district]));
    const truth = new Map<string, string>();
    let batch: Event[] = [];
    const all: Event[] = [];
    let n = 0;
    for (const m of generateTraffic({ city, compoundIds: city.compounds.map((c) => c.id), seed: 9, startMs: start, durationMs: 1.25 * DAY, heartbeats: false, plan })) {
      for (const e of m.intent.events) {
        const ev: Event = {
          v: 1, id: `edge-t.${(n++).toString(36)}`, deviceTime: m.intent.deviceTime, receivedAt: m.t,
          district: district.get(m.compound) ?? 'x', compound: m.compound, edge: 'edge-t', device: m.device,
          kind: m.kind, type: e.type, severity: e.severity, attributes: { ...e.attributes },
        };
        if (m.truthId) truth.set(ev.id, m.truthId);
        batch.push(ev);
        all.push(ev);
      }
      if (batch.length >= 500) {
        await scorer.scoreBatch(batch);
        batch = [];
      }
    }
    await scorer.scoreBatch(batch);

    // Heartbeats (also Gallagher status reports) are the device's clock, not activity: never scored.
    expect(all.filter((e) => e.type === 'heartbeat').every((e) => e.score === undefined)).toBe(true);
    expect(all.filter((e) => e.type !== 'heartbeat').every((e) => e.score?.model === 'ae16-1.0.0' && typeof e.score.value === 'number')).toBe(true);
    const burglaryEvents = all.filter((e) => truth.has(e.id));
    expect(burglaryEvents.length).toBeGreaterThanOrEqual(3 * 4);
    const flaggedIncidents = new Set(burglaryEvents.filter((e) => e.score!.anomalous).map((e) => truth.get(e.id)));
    expect(flaggedIncidents.size).toBeGreaterThanOrEqual(1);
    // Normal traffic after warm-up stays mostly quiet: far under one flag per 500 events.
    const normalAfterWarmup = all.filter((e) => !truth.has(e.id) && e.type !== 'heartbeat' && e.deviceTime >= start + DAY);
    const flaggedNormal = normalAfterWarmup.filter((e) => e.score!.anomalous).length;
    expect(flaggedNormal / normalAfterWarmup.length).toBeLessThan(1 / 500);
    console.log(`burglaries flagged ${flaggedIncidents.size}/3; normal flagged ${flaggedNormal}/${normalAfterWarmup.length}; status`, scorer.status().batcher);
  });
});
