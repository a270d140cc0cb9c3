import type { Command } from 'commander';

export function registerIndex(program: Command): void {
  program.command('index').description('(being built)');
}
