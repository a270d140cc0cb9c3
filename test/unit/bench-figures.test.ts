import { describe, expect, it } from 'vitest';
import { renderFigures, withFigures } from '../../bench/figures.ts';
import { machine, type SuiteResult } from '../../bench/lib/report.ts';
import { summarize } from '../../bench/lib/stats.ts';

const m = { ...machine(), commit: 'abc1234', at: '2026-12-31T15:59:30.000Z', load: [1.25, 1, 1] };
const soak: SuiteResult = {
  suite: 'soak', quick: false, machine: { start: m, end: { ...m, load: [2.5, 1, 1] } },
  rows: [{ name: 'edge RSS, 2000 devices for 30 min', unit: 'MiB (max)', value: summarize([271.5]), target: '< 300 MiB', met: true }],
  summary: {},
};
const BEGIN = '<!-- figures:begin (generated from results/latest.json by `node --import tsx bench/figures.ts`; do not edit) -->';

describe('README figures from latest.json', () => {
  it('renders each suite with its commit, time and load, and replaces only the generated block', () => {
    const text = renderFigures({ suites: { soak } });
    expect(text).toContain('### soak');
    expect(text).toContain('2026-12-31 15:59 UTC, commit abc1234');
    expect(text).toContain('load (1 min) 1.25 at start, 2.5 at end');
    expect(text).toMatch(/\| edge RSS, 2000 devices for 30 min \| 272 +\|/);
    const readme = `# B\n\nintro\n\n${BEGIN}\nold figures 1,234\n<!-- figures:end -->\n\ntail\n`;
    const out = withFigures(readme, { suites: { soak } });
    expect(out.startsWith(`# B\n\nintro\n\n${BEGIN}\n`)).toBe(true);
    expect(out).not.toContain('old figures');
    expect(out.endsWith('<!-- figures:end -->\n\ntail\n')).toBe(true);
    expect(withFigures(out, { suites: { soak } })).toBe(out);
    expect(() => withFigures('# no block', { suites: {} })).toThrow(/SS_BENCH_README/);
  });
});
