import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderTable, type SuiteResult } from './lib/report.ts';

const README = fileURLToPath(new URL('./README.md', import.meta.url));
const LATEST = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const BEGIN = '<!-- figures:begin (generated from results/latest.json by `node --import tsx bench/figures.ts`; do not edit) -->';
const END = '<!-- figures:end -->';

/** The README's figures section: one table per suite of latest.json, with where and when it ran. */
export function renderFigures(latest: { suites?: Record<string, SuiteResult> }): string {
  const out: string[] = [];
  for (const r of Object.values(latest.suites ?? {})) {
    const s = r.machine.start;
    const e = r.machine.end;
    out.push(
      `### ${r.suite}`,
      '',
      `${s.at.slice(0, 16).replace('T', ' ')} UTC, commit ${s.commit}, ${s.cores} cores (${s.cpu}), Node ${s.node}${s.edgeBuild ? `, edge ${s.edgeBuild}` : ''}; load (1 min) ${s.load[0]} at start, ${e.load[0]} at end.`,
      '',
      renderTable(r.rows),
      '',
    );
  }
  return out.join('\n');
}

/** Replace the generated block of `readme` (text) with the figures of `latest`. */
export function withFigures(readme: string, latest: { suites?: Record<string, SuiteResult> }): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`SS_BENCH_README: ${README} has no ${BEGIN} … ${END} block`);
  return `${readme.slice(0, a + BEGIN.length)}\n\n${renderFigures(latest)}\n${readme.slice(b)}`;
}

/** Rewrite bench/README.md's figures from bench/results/latest.json. */
export function updateReadme(): void {
  const latest = JSON.parse(readFileSync(LATEST, 'utf8')) as { suites?: Record<string, SuiteResult> };
  writeFileSync(README, withFigures(readFileSync(README, 'utf8'), latest));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) updateReadme();
