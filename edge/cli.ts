import type { Command } from 'commander';

export function registerEdge(program: Command): void {
  program
    .command('edge')
    .description('run an edge node: device broker, codecs, durable outbox, uplink to the hub')
    .requiredOption('-c, --config <file>', 'site config JSON (see examples/site.example.json)')
    .option('-m, --model <file>', 'ONNX anomaly model (default: models/kt-2.0.0.onnx when present)')
    .option('--no-scorer', 'run without anomaly scoring')
    .action(async (o: { config: string; model?: string; scorer: boolean }) => {
      const { runEdge } = await import('./main.ts');
      try {
        await runEdge(o.config, { ...(o.scorer === false ? { model: false } : o.model !== undefined ? { model: o.model } : {}) });
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
      }
    });
}
