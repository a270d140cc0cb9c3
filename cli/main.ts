import { Command } from 'commander';
import { registerDemo } from './demo.ts';
import { registerSim } from '../simulators/cli.ts';
import { registerEdge } from '../edge/cli.ts';
import { registerHub } from '../hub/cli.ts';
import { registerIndex } from '../hub/index/cli.ts';
import { registerModels } from '../models/cli.ts';
import { registerBench } from '../bench/cli.ts';
import { registerDashboards } from '../dashboards/cli.ts';

// Wiring only: each area registers its own subcommands.
const program = new Command('safestar')
  .description('Safe star-rated compounds: edge nodes, city hub, device simulators')
  .showHelpAfterError();

registerDemo(program);
registerHub(program);
registerEdge(program);
registerSim(program);
registerIndex(program);
registerModels(program);
registerBench(program);
registerDashboards(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Errors carry a stable code and say what to do; a stack trace only helps a developer.
  const e = err as Error & { code?: string };
  process.stderr.write(`${e.code && !e.message.startsWith(e.code) ? `${e.code}: ` : ''}${e.message}\n`);
  if (process.env['SAFESTAR_DEBUG']) process.stderr.write(`${e.stack ?? ''}\n`);
  process.exitCode = 1;
}
