import type { Command } from 'commander';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmarks: edge, hub, end-to-end, memory, scaling, scoring; each figure with its raw baseline from the same run')
    .argument('[suite]', 'edge | hub | e2e | memory | scaling | scoring | index | all', 'all')
    .option('--quick', 'short runs (for a smoke check, not for figures)', false)
    .option('--repeats <n>', 'runs per figure (median, min, max)', (v) => Number(v))
    .option('--out <dir>', 'where the JSON results go', 'bench/results')
    .action(async (suite: string, o: { quick: boolean; repeats?: number; out: string }) => {
      const { runBench } = await import('./run.ts');
      process.exitCode = await runBench(suite, o);
    });
}
