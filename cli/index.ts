import type { Command } from 'commander';
import { generateCity } from '../simulators/city.ts';
import { calibrate, formatCalibration, replayYear } from './calibrate.ts';
import { defaultPolicy, loadPolicyFile } from '../hub/index/policy.ts';
import { caseBodies, generateCaseHistories } from '../simulators/cases/generate.ts';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`SS_INDEX_CLI_ARG: --${name} must be an integer, got '${v}'`);
    return n;
  };
}

/**
 * `safestar index …`: calibrate the policy on a simulated city; check a policy file. A tool, not
 * the product: it lives in cli/ because it drives the simulators (the hub never imports them).
 */
export function registerIndex(program: Command): void {
  const index = program.command('index').description('Safety index: policy checks and calibration');
  index
    .command('calibrate')
    .description('rate a simulated city with the policy; print star shares per district, the bottom 10, and a JSON summary line. With --months: replay that many months of cases with monthly reviews and report the published plaques month by month')
    .option('--compounds <n>', 'compounds in the simulated city', int('compounds'), 2285)
    .option('--seed <n>', 'seed of the city and its case histories', int('seed'), 1)
    .option('--months <n>', 'replay this many months from the review epoch (the published plaques, with hysteresis)', int('months'))
    .option('--policy <file>', 'policy JSON (default: hub/index/policy.default.json)')
    .option('--at <iso>', 'rating instant without --months (default 2026-05-28T00:00+08:00)')
    .action((opts: { compounds: number; seed: number; months?: number; policy?: string; at?: string }) => {
      const policy = opts.policy ? loadPolicyFile(opts.policy) : defaultPolicy();
      const city = generateCity({ compounds: opts.compounds, seed: opts.seed });
      if (opts.months !== undefined) {
        if (opts.months < 1 || opts.months > 60) throw new Error(`SS_INDEX_CLI_ARG: --months must be 1..60, got ${opts.months}`);
        const y = replayYear(policy, city, { seed: opts.seed, months: opts.months });
        process.stdout.write(`policy ${policy.version}, city seed ${opts.seed}, ${opts.months} months from ${policy.review.epoch}\n${formatCalibration(y.last, y.published, y.calibrations)}\n`);
        return;
      }
      const at = opts.at ? Date.parse(opts.at) : undefined;
      if (at !== undefined && Number.isNaN(at)) throw new Error(`SS_INDEX_CLI_ARG: --at must be an ISO date, got '${opts.at}'`);
      const report = calibrate(policy, city, { seed: opts.seed, ...(at !== undefined ? { at } : {}) });
      process.stdout.write(`policy ${policy.version}, city seed ${opts.seed}\n${formatCalibration(report)}\n`);
    });
  index
    .command('cases')
    .description('print the simulated case histories of a city as NDJSON bodies for POST /api/cases')
    .option('--compounds <n>', 'compounds in the simulated city', int('compounds'), 2285)
    .option('--seed <n>', 'seed of the city and its case histories', int('seed'), 1)
    .option('--at <iso>', 'end of the history (default: now)')
    .action((opts: { compounds: number; seed: number; at?: string }) => {
      const at = opts.at ? Date.parse(opts.at) : Date.now();
      if (Number.isNaN(at)) throw new Error(`SS_INDEX_CLI_ARG: --at must be an ISO date, got '${opts.at}'`);
      const city = generateCity({ compounds: opts.compounds, seed: opts.seed });
      for (const body of caseBodies(generateCaseHistories(city, { seed: opts.seed, at }))) process.stdout.write(`${JSON.stringify(body)}\n`);
    });
  index
    .command('check-policy <file>')
    .description('validate a policy file; print every problem with its path')
    .action((file: string) => {
      const p = loadPolicyFile(file);
      process.stdout.write(`ok: policy ${p.version}, ${Object.keys(p.categories).length} categories\n`);
    });
}
