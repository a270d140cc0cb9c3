import type { Command } from 'commander';

export function registerEdge(program: Command): void {
  program
    .command('edge')
    .description('run an edge node: device broker, codecs, durable outbox, uplink to the hub')
    .requiredOption('-c, --config <file>', 'site config JSON (see examples/site.example.json)')
    .action(async (o: { config: string }) => {
      const { runEdge } = await import('./main.ts');
      try {
        await runEdge(o.config);
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
      }
    });
}
