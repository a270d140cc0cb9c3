// A hub in its own process for kill -9 tests: options from argv (JSON), URLs printed as one JSON line.
import { startHub } from '../../hub/hub.ts';

const o = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string; influxUrl: string; database: string };
const hub = await startHub({
  dataDir: o.dataDir,
  mqtt: { host: '127.0.0.1', port: 0 },
  api: { host: '127.0.0.1', port: 0 },
  influx: { url: o.influxUrl, database: o.database },
  writer: { backoffMaxMs: 200 },
  log: false,
});
process.stdout.write(`${JSON.stringify({ mqttUrl: hub.mqttUrl, apiUrl: hub.apiUrl })}\n`);
