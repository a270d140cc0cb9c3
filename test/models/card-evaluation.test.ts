import { describe, expect, it } from 'vitest';
import type { KtEvaluation } from '../../models/eval/evaluate-kt.ts';
import { cardEvaluation } from '../../models/kt-artifacts.ts';

/** A reserved evaluation, made up: model recall per variant, families pooled as given. */
function report(types: Record<string, { family: string; kind: 'critical' | 'behaviour'; recall: number }>, perFamily: Record<string, number>): KtEvaluation {
  const model = { recall: 0.7, faPerCompoundDay: 0.5, recallMin: 0.6, recallMax: 0.8, recallSd: 0.05, behaviourRecall: 0.6, criticalRecall: 0.9, novelRecall: 0.4 };
  return {
    model: 'kt-0.0.0-test',
    sha256: '0'.repeat(64),
    source: 'reserved',
    seeds: [1, 2],
    runs: [],
    budget: 1,
    detectors: { model },
    perType: Object.fromEntries(Object.entries(types).map(([name, t]) => [name, { family: t.family, kind: t.kind, novel: false, incidents: 8, recall: { model: t.recall }, modelSeedMin: t.recall, modelSeedMax: t.recall }])),
    perFamily: Object.fromEntries(Object.entries(perFamily).map(([f, r]) => [f, { model: r }])),
    bestBaselineOnBehaviour: { name: 'severity', recall: 0.2 },
    targets: { everyBurglaryVariant: { target: '≥ 0.95', value: 0.9, met: false } },
  };
}

describe('cardEvaluation (the card headline of a reserved evaluation)', () => {
  const e = report(
    {
      'burglary-night': { family: 'burglary', kind: 'critical', recall: 1 },
      'burglary-day-no-cut': { family: 'burglary', kind: 'critical', recall: 0.9 },
      'blacklisted-plate': { family: 'blacklisted-plate', kind: 'critical', recall: 0.5 },
      // A variant at 0 % in a family that meets its target: the target is per family, not a miss.
      'card-cloning': { family: 'card-cloning', kind: 'behaviour', recall: 1 },
      'card-cloning-same-compound': { family: 'card-cloning', kind: 'behaviour', recall: 0 },
      'door-held-open': { family: 'door-held-open', kind: 'behaviour', recall: 0.375 },
      'door-held-short': { family: 'door-held-open', kind: 'behaviour', recall: 0.625 },
      'perimeter-probe': { family: 'perimeter-probe', kind: 'behaviour', recall: 0.6 },
    },
    { burglary: 0.95, 'blacklisted-plate': 0.5, 'card-cloning': 0.6, 'door-held-open': 0.5, 'perimeter-probe': 0.6 },
  );
  const card = cardEvaluation(e, { id: 'kt-0.0.0-test' }) as { whereItFails: string[]; weakVariants: string[]; report: string; recall: number; targets: unknown };

  it('lists each burglary variant below 95 % and each behavioural family below 60 %, with its variants', () => {
    expect(card.whereItFails).toEqual([
      'burglary-day-no-cut: 90 % (target 95 % per burglary variant)',
      'family door-held-open: 50 % (target 60 % per behavioural family; its variants: door-held-open 38 %, door-held-short 63 %)',
    ]);
  });

  it('does not list a family at its target, its weak variant, or a critical type without a per-type target', () => {
    const text = card.whereItFails.join('\n');
    expect(text).not.toMatch(/card-cloning/); // family at 60 % (>= target), though one variant is at 0 %
    expect(text).not.toMatch(/perimeter-probe/); // exactly 60 %
    expect(text).not.toMatch(/blacklisted-plate/); // critical, not burglary: no per-type target
    expect(text).not.toMatch(/burglary-night/);
  });

  it('names a weak variant of a family that meets its target apart, so no blind spot goes unsaid', () => {
    expect(card.weakVariants).toEqual(['card-cloning-same-compound: 0 % (its family card-cloning meets the target at 60 %)']);
  });

  it('carries the headline figures and the targets as the evaluation has them', () => {
    expect(card).toMatchObject({ report: 'kt-0.0.0-test.report.md', recall: 0.7, targets: e.targets });
  });
});
