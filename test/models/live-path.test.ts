import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pointsOf } from '../../models/dataset.ts';
import { liveRun } from '../../models/eval/live.ts';
import { buildRun } from '../../models/eval/runs.ts';
import { runOf } from '../../models/eval/seeds.ts';
import { VARIANT_BY_NAME } from '../../models/eval/variants/catalogue.ts';
import { ktPaths } from '../../models/kt-artifacts.ts';
import { KT_RECIPE, scoreRows, type KtCard } from '../../models/kt.ts';
import { evaluateAlerts } from '../../models/metrics.ts';
import { readTailOnnx } from '../../models/tail-onnx.ts';

// The evaluation through the edge's own path (vendor payload bytes → codec → Event → privacy →
// group commits → OnnxScorer with its learning period) finds what the offline evaluation finds
// on the same city, traffic and incidents (issue 15: live-path recall within 5 points).
describe('live-path evaluation', () => {
  it('decodes every simulated message and detects what the offline evaluation detects', { timeout: 300_000 }, async () => {
    const p = ktPaths(join(import.meta.dirname, '../../models'), KT_RECIPE);
    const spec = { ...runOf(1007, 0, 2), compounds: 3 };
    const variants = ['burglary-night', 'door-held-open', 'tamper-door', 'offline-storm', 'tailgating-burst', 'card-cloning'].map((n) => VARIANT_BY_NAME.get(n)!);
    const live = await liveRun(spec, variants, p.onnx, 3);
    const card = JSON.parse(readFileSync(p.card, 'utf8')) as KtCard;
    const off = buildRun(spec, variants, () => [], 3);
    const offline = evaluateAlerts(pointsOf(off.ds, scoreRows(readTailOnnx(readFileSync(p.onnx))!, off.ds)), off.incidents, card.threshold.value, { compoundDays: off.compoundDays, refractoryMs: 600_000 });
    expect(live.deadLetters).toBe(0);
    expect(live.evaluation.incidents).toBe(offline.incidents);
    expect(live.evaluation.incidents).toBeGreaterThanOrEqual(6);
    expect(Math.abs(live.evaluation.detected - offline.detected)).toBeLessThanOrEqual(1);
    // Simulated real-time arrival: group commits of about one event, as a live edge forms them.
    expect(live.batches.p50).toBe(1);
    expect(live.events).toBeGreaterThan(off.ds.n);
  });
});
