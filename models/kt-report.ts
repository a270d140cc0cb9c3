import type { KtEvaluation } from './eval/evaluate-kt.ts';
import type { KtCard } from './kt.ts';

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

export function ktReportMarkdown(e: KtEvaluation, card: KtCard): string {
  const names = Object.keys(e.detectors);
  const novel = Object.entries(e.perType).filter(([, v]) => v.novel).map(([k]) => k).sort();
  const lines = [
    `# Evaluation of ${e.model} on ${e.source} seeds`,
    '',
    `Seeds ${e.seeds.join(', ')} (${e.source}; see models/eval/seeds.ts). Each seed is its own city, traffic, incidents and month:`,
    '',
    '| seed | compounds | start | compound-days | incidents | events |',
    '|---:|---:|---|---:|---:|---:|',
    ...e.runs.map((r) => `| ${r.seed} | ${r.compounds} | ${r.start} | ${r.compoundDays} | ${r.incidents} | ${r.events} |`),
    '',
    `Alert budget ≤ ${e.budget} false alert per compound per day; every tuned threshold (model and baselines) set on the same validation traffic (see the card: held-out validation cities, never these seeds). Model sha256 \`${e.sha256}\`. Rules in the model: ${card.rules.types.join(', ')}${(card.rules.features ?? []).length > 0 ? `; sequence rules: ${card.rules.features!.join(', ')}` : ''}.`,
    '',
    '| detector | recall | per-seed min–max (sd) | false alerts / compound / day | critical | behaviour | novel |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...names.map((n) => {
      const d = e.detectors[n]!;
      return `| ${n} | ${pct(d.recall)} | ${pct(d.recallMin)}–${pct(d.recallMax)} (${(d.recallSd * 100).toFixed(1)}) | ${d.faPerCompoundDay.toFixed(3)} | ${pct(d.criticalRecall)} | ${pct(d.behaviourRecall)} | ${pct(d.novelRecall)} |`;
    }),
    '',
    '## Targets',
    '',
    ...Object.entries(e.targets).map(([k, t]) => `- ${k}: ${t.value} (target ${t.target}) — ${t.met ? 'met' : 'NOT met'}`),
    `- best fair baseline on behaviour: ${e.bestBaselineOnBehaviour.name} (${pct(e.bestBaselineOnBehaviour.recall)})`,
    '',
    '## Recall per incident type',
    '',
    `| type | family | kind | novel | incidents | model seed min–max | ${names.join(' | ')} |`,
    `|---|---|---|:---:|---:|---:|${names.map(() => '---:').join('|')}|`,
    ...Object.entries(e.perType).map(([k, v]) => `| ${k} | ${v.family} | ${v.kind} | ${v.novel ? 'yes' : ''} | ${v.incidents} | ${pct(v.modelSeedMin)}–${pct(v.modelSeedMax)} | ${names.map((n) => pct(v.recall[n] ?? 0)).join(' | ')} |`),
    '',
    '## Notes',
    '',
    '- Recall: incidents with an event of their compound (or devices) above the threshold within ±5 min; an alert is the first flagged event of a compound, flagged events within 10 min join it; a false alert is an alert near no incident.',
    `- Novel types (${novel.join(', ')}) were written by someone who does not develop the detector, only from event types of normal traffic, and were not read by its developer (models/eval/variants/blind.ts); \`models evaluate --seeds dev\` omits them. A type whose misses are read during development stops being novel: credential-scan and perimeter-probe, since 2026-12-05.`,
    '- Baselines: rules-tuned (known-critical types chosen greedily on validation under the full budget), severity (vendor severity level, threshold tuned), ewma-poisson (per device), type-poisson (per device and type, two smoothing settings; the better one is the fair comparison); severity-critical is the one-line rule "alert on every vendor-critical event", not tuned (the tuned severity baseline is 0 % because forced doors alone, about 1 per compound-day in normal traffic, exceed the validation budget, so its tuned threshold flags nothing).',
    '- Only baselines within the budget (≤ 1 false alert per compound-day here) count as the best fair baseline.',
    '',
  ];
  return lines.join('\n');
}
