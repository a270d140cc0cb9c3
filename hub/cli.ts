import type { Command } from 'commander';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`SS_HUB_CONFIG: port '${v}' must be an integer 0–65535 (0 = any free port)`);
  return n;
}

export function registerHub(program: Command): void {
  program
    .command('hub')
    .description('Run the city hub: MQTT ingest from edges, InfluxDB writer, safety ratings and the HTTP API')
    .option('--data <dir>', 'data folder for the SQLite files', './data/hub')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--mqtt-port <n>', 'MQTT port for edges (0 = free port; 1883 is usually taken)', port, 0)
    .option('--api-port <n>', 'HTTP API port (0 = free port)', port, 0)
    .option('--influx <url>', 'InfluxDB as http://host:port/database (or env SAFESTAR_INFLUX_URL); absent = events wait in the queue')
    .option('--city <file>', 'city JSON (safestar sim city) to register compounds and devices')
    .option('--edges <file>', 'edge credentials JSON [{id, passwordHash}]; absent = any edge (dev mode)')
    .action(async (o: { data: string; host: string; mqttPort: number; apiPort: number; influx?: string; city?: string; edges?: string }) => {
      // Loaded on use: `safestar --help` stays fast and doesn't open native modules.
      const { runHub } = await import('./main.ts');
      await runHub(o);
    });
}
