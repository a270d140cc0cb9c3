import type { Command } from 'commander';

export function registerEdge(program: Command): void {
  program.command('edge').description('(being built)');
}
