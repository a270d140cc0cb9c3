import type { Command } from 'commander';

export function registerDashboards(program: Command): void {
  program
    .command('dashboards')
    .description('build the Grafana dashboards (JSON) and provisioning files from code')
    .option('--out <dir>', 'output folder', 'dashboards/generated')
    .option('--influx <url>', 'InfluxDB URL for the provisioned data source (http://host:port/db)', 'http://127.0.0.1:8086/safestar')
    .action(async (o: { out: string; influx: string }) => {
      const { buildDashboards } = await import('./build.ts');
      const u = new URL(o.influx);
      const files = buildDashboards(o.out, `${u.protocol}//${u.host}`, u.pathname.replace(/^\/+/, '') || 'safestar');
      for (const f of files) process.stdout.write(`${f}\n`);
    });
}
