import type { Command } from 'commander';

export function registerHub(program: Command): void {
  program.command('hub').description('(being built)');
}
