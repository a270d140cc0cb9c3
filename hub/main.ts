import { loadCity, loadEdges, parseInfluxUrl } from './config.ts';
import { startHub, type Hub } from './hub.ts';
import { productHub } from './product.ts';

export interface HubCliOptions {
  data: string;
  host: string;
  mqttPort: number;
  apiPort: number;
  influx?: string;
  city?: string;
  edges?: string;
}

/** Wiring only: read files, start the hub, close it once on SIGINT/SIGTERM. */
export async function runHub(o: HubCliOptions): Promise<Hub> {
  const influxUrl = o.influx ?? process.env['SAFESTAR_INFLUX_URL'];
  const influx = influxUrl ? parseInfluxUrl(influxUrl) : undefined;
  const city = o.city ? loadCity(o.city) : undefined;
  const hub = await startHub({
    dataDir: o.data,
    mqtt: { host: o.host, port: o.mqttPort },
    api: { host: o.host, port: o.apiPort },
    influx,
    ...productHub({ ...(influx ? { influx } : {}), ...(city ? { districts: city.districts } : {}) }),
    city,
    edges: o.edges ? loadEdges(o.edges) : undefined,
    log: true,
  });
  process.stdout.write(`hub: mqtt ${hub.mqttUrl}  api ${hub.apiUrl}  map ${hub.apiUrl}/map\n`);
  const stop = (): void => {
    void hub.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return hub;
}
