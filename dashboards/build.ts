import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cityDashboard } from './city.ts';
import { devicesDashboard } from './devices.ts';

export const DASHBOARDS = { 'safestar-city': cityDashboard, 'safestar-devices': devicesDashboard } as const;

/** Grafana provisioning: the data source (the hub's InfluxDB) and a file provider for the JSON. */
function provisioning(influxUrl: string, database: string): { datasource: string; provider: string } {
  return {
    datasource: [
      'apiVersion: 1',
      'datasources:',
      '  - name: Safestar InfluxDB',
      '    uid: safestar-influx',
      '    type: influxdb',
      '    access: proxy',
      `    url: ${influxUrl}`,
      '    jsonData:',
      `      dbName: ${database}`,
      '      httpMode: GET',
      '',
    ].join('\n'),
    provider: [
      'apiVersion: 1',
      'providers:',
      '  - name: safestar',
      '    type: file',
      '    options:',
      '      path: /var/lib/grafana/dashboards/safestar',
      '',
    ].join('\n'),
  };
}

/** Build every dashboard to JSON plus provisioning files under `outDir`; returns the files written. */
export function buildDashboards(outDir: string, influxUrl = 'http://127.0.0.1:8086', database = 'safestar'): string[] {
  const files: string[] = [];
  mkdirSync(join(outDir, 'dashboards'), { recursive: true });
  mkdirSync(join(outDir, 'provisioning', 'datasources'), { recursive: true });
  mkdirSync(join(outDir, 'provisioning', 'dashboards'), { recursive: true });
  for (const [name, make] of Object.entries(DASHBOARDS)) {
    const file = join(outDir, 'dashboards', `${name}.json`);
    writeFileSync(file, `${JSON.stringify(make().build(), null, 2)}\n`);
    files.push(file);
  }
  const p = provisioning(influxUrl, database);
  const ds = join(outDir, 'provisioning', 'datasources', 'safestar.yaml');
  const pr = join(outDir, 'provisioning', 'dashboards', 'safestar.yaml');
  writeFileSync(ds, p.datasource);
  writeFileSync(pr, p.provider);
  files.push(ds, pr);
  return files;
}
