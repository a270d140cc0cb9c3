import type { Command } from 'commander';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmarks: edge, hub, end-to-end, memory, scaling, scoring; each figure alternating with its anchor in the same sitting')
    .argument('[suite]', 'edge | hub | e2e | memory | scaling | scoring | index | cluster | soak | all', 'all')
    .option('--quick', 'short runs (about a minute per suite): a check, not the committed figures', false)
    .option('--rounds <n>', 'rounds of alternating runs, system then anchor (default 3)', (v) => Number(v))
    .option('--minutes <n>', 'length of the soak suite in minutes (default 30, --quick 2)', (v) => Number(v))
    .option('--out <dir>', 'where the JSON results go', 'bench/results')
    .action(async (suite: string, o: { quick: boolean; rounds?: number; minutes?: number; out: string }) => {
      const { runBench } = await import('./run.ts');
      process.exitCode = await runBench(suite, o);
    });
}
