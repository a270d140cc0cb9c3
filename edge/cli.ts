import { Option, type Command } from 'commander';

export function registerEdge(program: Command): void {
  const edge = program
    .command('edge')
    .description('run an edge node: device broker, codecs, durable outbox, uplink to the hub')
    .option('-c, --config <file>', 'site config JSON (see examples/site.example.json); required to run')
    .option('-m, --model <file>', 'ONNX anomaly model (default: models/kt-2.7.0.onnx when present)')
    .option('--no-scorer', 'run without anomaly scoring')
    .addOption(new Option('--log-level <level>', 'log level of the JSON logs on stderr (default: the site config\'s logLevel, else info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).env('LOG_LEVEL'))
    // Not a requiredOption: commander would then demand it of `edge token` as well.
    .action(async (o: { config?: string; model?: string; scorer: boolean; logLevel?: string }) => {
      if (o.config === undefined) edge.error("error: required option '-c, --config <file>' not specified");
      const { runEdge } = await import('./main.ts');
      try {
        await runEdge(o.config as string, { ...(o.scorer === false ? { model: false } : o.model !== undefined ? { model: o.model } : {}), ...(o.logLevel ? { logLevel: o.logLevel } : {}) });
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
      }
    });
  edge
    .command('token')
    .description("make a bearer token for the edge API's /deadletters: prints the token (give it to the operator) and its hash (put it in the site config's api.tokenHash)")
    .action(async () => {
      const { newApiToken } = await import('./api/token.ts');
      process.stdout.write(`${JSON.stringify(newApiToken())}\n`);
    });
}
