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
    .option('--keep-data', 'keep the data folder of an earlier run, and send on what it left queued', false)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--hub-mqtt-port <n>', 'hub MQTT port for edges (0 = free port)', int, 0)
    .option('--hub-api-port <n>', 'hub HTTP port (0 = free port)', int, 0)
    .option('--drain-timeout <s>', 'timed runs: how long to wait for outboxes and queues to empty', int, 60)
    .action(async (opts: { seconds?: number; compounds: number; seed: number; rate: number; data: string; keepData: boolean; host: string; hubMqttPort: number; hubApiPort: number; drainTimeout: number }) => {
      const ctl = new AbortController();
      process.once('SIGINT', () => ctl.abort());
      process.once('SIGTERM', () => ctl.abort());
      const result = await runDemo({
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
      if (result.stoppedBy === 'signal') {
        const { queuedOnEdges, queuedAtHub, dataDir } = result;
        process.stderr.write(
          queuedOnEdges + queuedAtHub === 0
            ? 'Stopped. Nothing was left queued.\n'
            : `Stopped. ${queuedOnEdges} events stay queued in the edges' outboxes and ${queuedAtHub} in the hub's queue, on disk under ${dataDir}: ` +
              `'safestar demo --keep-data' (npm start -- --keep-data) sends them on; a plain 'npm start' wipes them.\n`,
        );
        return;
      }
      const s = result.summary;
      // The one machine-readable line, on stdout.
      process.stdout.write(`${JSON.stringify(s)}\n`);
      if (!s.reconciled) process.stderr.write(`No InfluxDB to read back: nothing reconciled; ${s.queued} events wait in the hub's queue under ${opts.data}.\n`);
      if (s.lost > 0 || s.duplicated > 0) {
        const which = [
          s.lost > 0 ? `${s.lost} acknowledged events not stored (${(s.lostIds ?? []).join(', ')}${s.lost > (s.lostIds?.length ?? 0) ? ', …' : ''})` : '',
          s.duplicated > 0 ? `${s.duplicated} events stored twice (${(s.duplicatedIds ?? []).join(', ')}${s.duplicated > (s.duplicatedIds?.length ?? 0) ? ', …' : ''})` : '',
        ].filter(Boolean).join('; ');
        const queued = s.queued > 0 ? ` ${s.queued} events were still in the hub's queue when the drain ended (on disk, not lost: raise --drain-timeout).` : '';
        process.stderr.write(`SS_DEMO_MISMATCH: ${which}.${queued} Look the ids up in InfluxDB (SELECT * FROM events WHERE id = '…') and in the edges' /deadletters.\n`);
        process.exitCode = 1;
      }
    });
}
