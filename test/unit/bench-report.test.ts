import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pairedRatio } from '../../bench/lib/pairs.ts';
import { machine, renderMachine, renderTable, summaryLine, writeResults, type SuiteResult } from '../../bench/lib/report.ts';
import { metricSum, metricsMatching, parsePrometheus } from '../../bench/lib/metrics.ts';
import { summarize } from '../../bench/lib/stats.ts';

const run = (value: number, load1 = 1.5) => ({ value, load1 });
const edge = [run(20_000, 1.2), run(18_000, 3.4), run(22_000, 2.0)];
const nr = [run(10_000), run(10_000), run(10_000)];

function suite(quick = false): SuiteResult {
  const vsNodeRed = pairedRatio(edge, nr, 'node-red');
  const m = machine();
  return {
    suite: 'edge', quick, machine: { start: m, end: m },
    rows: [{ name: 'edge vs node-red', unit: 'events/s', value: summarize(edge.map((r) => r.value)), baseline: { name: 'node-red', value: summarize(nr.map((r) => r.value)) }, pairs: vsNodeRed, target: '≥ 2.0×', met: vsNodeRed.median >= 2, loads: edge.map((r) => r.load1) }],
    summary: { vsNodeRed, unscored: 0 },
  };
}

describe('benchmark table and results', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('prints per-pair ratios (median, min–max, each pair), the anchor, the verdict and the load range', () => {
    const table = renderTable(suite().rows);
    const lines = table.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('20,000');
    expect(lines[2]).toContain('node-red: 10,000');
    expect(lines[2]).toContain('2.00 (1.80–2.20) [2.00 1.80 2.20]');
    expect(lines[2]).toMatch(/\| yes +\| 1\.2–3\.4 +\|$/);
  });

  it('marks a missed target NO and lists notes under the table', () => {
    const t = renderTable([{ name: 'path', unit: 'events/s', value: summarize([10_481]), target: '≥ 1.5×', met: false, note: 'LOSS: 3 of 10' }]);
    expect(t).toMatch(/\| NO +\|/);
    expect(t).toContain('- path: LOSS: 3 of 10');
  });

  it('states cores, Node, commit and the load at start and end', () => {
    const m = machine();
    expect(m.load).toHaveLength(3);
    expect(m.cores).toBeGreaterThan(0);
    expect(renderMachine(m, { ...m, load: [9, 8, 7] })).toMatch(/cores .*Node v\d+.*commit .*at end 9 \/ 8 \/ 7/);
  });

  it('ends with one JSON line holding the measured ratios, cores, load, Node and commit', () => {
    const line = JSON.parse(summaryLine(suite(true))) as Record<string, unknown>;
    expect(line).toMatchObject({ suite: 'edge', quick: true, vsNodeRed: { median: 2, min: 1.8, max: 2.2, pairs: [2, 1.8, 2.2] }, unscored: 0 });
    expect(line['cores']).toBeGreaterThan(0);
    expect(line['node']).toBe(process.version);
    expect(line['load']).toHaveLength(2);
  });

  it('folds each full run into latest.json by suite and keeps quick runs apart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    dirs.push(dir);
    writeResults(dir, [suite()], false);
    writeResults(dir, [{ ...suite(), suite: 'hub' }], false);
    writeResults(dir, [suite(true)], true);
    const latest = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { suites: Record<string, SuiteResult> };
    expect(Object.keys(latest.suites).sort()).toEqual(['edge', 'hub']);
    expect(latest.suites['edge']!.quick).toBe(false);
    expect(latest.suites['edge']!.machine.start.node).toBe(process.version);
    const quick = JSON.parse(readFileSync(join(dir, 'latest-quick.json'), 'utf8')) as { suites: Record<string, SuiteResult> };
    expect(Object.keys(quick.suites)).toEqual(['edge']);
    expect(readdirSync(dir).filter((f) => /^(edge|hub)-.*\.json$/.test(f))).toHaveLength(3);
  });
});

describe('scraping /metrics', () => {
  const text = [
    '# HELP safestar_edge_deadletters_total Device messages dead-lettered, by reason code',
    '# TYPE safestar_edge_deadletters_total counter',
    'safestar_edge_deadletters_total{code="SS_EDGE_DECODE"} 3',
    'safestar_edge_deadletters_total{code="SS_EDGE_SCHEMA"} 2',
    'safestar_edge_scorer_misses_total{code="SS_EDGE_SCORER_TIMEOUT"} 4',
    'safestar_edge_events_unscored_total 7',
    'safestar_edge_outbox_depth 0',
    'garbage line',
  ].join('\n');

  it('parses samples, sums a metric over its labels and picks metrics by name', () => {
    const m = parsePrometheus(text);
    expect(m.get('safestar_edge_outbox_depth')).toBe(0);
    expect(metricSum(m, 'safestar_edge_deadletters_total')).toBe(5);
    expect(metricSum(m, 'safestar_edge_absent_total')).toBe(0);
    expect(metricsMatching(m, /scor/)).toEqual({ safestar_edge_scorer_misses_total: 4, safestar_edge_events_unscored_total: 7 });
  });
});
