import type { Command } from 'commander';

export function registerModels(program: Command): void {
  program.command('models').description('(being built)');
}
