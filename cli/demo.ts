import type { Command } from 'commander';
import { runDemo } from './demo/run.ts';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`SS_DEMO_ARG: '${v}' is not a whole number`);
  return n;
};

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a whole demo city on this machine: simulators → edges → hub → InfluxDB')
    .option('--seconds <n>', 'run N seconds, then drain and print a JSON summary (default: until Ctrl-C)', int)
    .option('--compounds <n>', 'compounds in the city', int, 12)
    .option('--seed <n>', 'city and traffic seed', int, 42)
    .option('--rate <n>', 'device events per second across the city', int, 200)
    .option('--data <dir>', 'data folder (wiped at start unless --keep-data)', 'data/demo')
    .option('--keep-data', 'keep the data folder of an earlier run', false)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--hub-mqtt-port <n>', 'hub MQTT port for edges (0 = free port)', int, 0)
    .option('--hub-api-port <n>', 'hub HTTP port (0 = free port)', int, 0)
    .option('--drain-timeout <s>', 'how long to wait for outboxes and queues to empty', int, 60)
    .action(async (opts: { seconds?: number; compounds: number; seed: number; rate: number; data: string; keepData: boolean; host: string; hubMqttPort: number; hubApiPort: number; drainTimeout: number }) => {
      const ctl = new AbortController();
      process.once('SIGINT', () => ctl.abort());
      process.once('SIGTERM', () => ctl.abort());
      const summary = await runDemo({
        compounds: opts.compounds,
        seed: opts.seed,
        rate: opts.rate,
        seconds: opts.seconds,
        dataDir: opts.data,
        keepData: opts.keepData,
        host: opts.host,
        hubMqttPort: opts.hubMqttPort,
        hubApiPort: opts.hubApiPort,
        drainTimeoutMs: opts.drainTimeout * 1000,
        say: (line) => process.stderr.write(`${line}\n`),
        signal: ctl.signal,
      });
      // The one machine-readable line, on stdout.
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (summary.sent !== summary.stored + summary.deadLettered + summary.queued) {
        process.stderr.write('SS_DEMO_MISMATCH: sent != stored + deadLettered + queued — something was lost; see the edges\' /deadletters and the hub\'s /health\n');
        process.exitCode = 1;
      }
    });
}
