import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DATASOURCE_UID, buildDashboards, datasourceEnv, writeDashboards, type DatasourceAuth } from '@espbench/dashboards';
import { UsageError } from '../errors.js';

interface DashboardsFlags {
  out: string;
  auth: DatasourceAuth;
  dashboardsPath?: string;
  folder?: string;
  json?: boolean;
}

function parseAuth(value: string): DatasourceAuth {
  if (value !== 'basic' && value !== 'token') throw new UsageError(`--auth must be basic or token, got "${value}"`);
  return value;
}

export function registerDashboards(program: Command): void {
  program
    .command('dashboards')
    .description('write the Grafana dashboards (nightly, release comparison, coexistence, run detail) and their provisioning files')
    .requiredOption('--out <dir>', 'directory to write provisioning/ and dashboards/ into')
    .option('--auth <basic|token>', 'how Grafana logs in to InfluxDB: basic (user and password, 1.x) or token (2.x, 3.x)', parseAuth, 'basic')
    .option('--dashboards-path <dir>', 'where Grafana will read the dashboard JSON files, when not <out>/dashboards (e.g. a path inside its container)')
    .option('--folder <name>', 'Grafana folder for the dashboards', 'espbench')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Examples:
  espbench dashboards --out ./grafana
  espbench dashboards --out ./grafana --auth token --dashboards-path /var/lib/espbench/dashboards

Then start Grafana with GF_PATHS_PROVISIONING=<out>/provisioning and the InfluxDB settings in its
environment (ESPBENCH_INFLUX_URL, ESPBENCH_INFLUX_DB, and ESPBENCH_INFLUX_USER/ESPBENCH_INFLUX_PASSWORD
or ESPBENCH_INFLUX_TOKEN): the files reference them, they never contain a secret.`,
    )
    .action(async (flags: DashboardsFlags) => {
      const out = resolve(flags.out);
      const files = await writeDashboards(out, { auth: flags.auth, dashboardsPath: flags.dashboardsPath, folder: flags.folder });
      const provisioning = join(out, 'provisioning');
      const env = datasourceEnv(flags.auth);
      if (flags.json) {
        const dashboards = buildDashboards().map((d) => ({ uid: d.uid, title: d.title }));
        process.stdout.write(JSON.stringify({ files, provisioning, datasourceUid: DATASOURCE_UID, env, dashboards }, null, 2) + '\n');
        return;
      }
      const example: Record<string, string> = {
        ESPBENCH_INFLUX_URL: 'http://localhost:8086',
        ESPBENCH_INFLUX_DB: 'espbench',
        ESPBENCH_INFLUX_USER: 'grafana',
        ESPBENCH_INFLUX_PASSWORD: '...',
        ESPBENCH_INFLUX_TOKEN: '...',
      };
      process.stdout.write(
        [
          `wrote ${files.length} files:`,
          ...files.map((f) => `  ${f}`),
          '',
          'Point Grafana at them (this replaces its provisioning directory; or copy the two YAML files into yours):',
          `  GF_PATHS_PROVISIONING=${provisioning} \\`,
          ...env.map((name) => `  ${name}=${example[name] ?? '...'} \\`),
          '  grafana server',
          '',
          `Grafana reads ${env.join(', ')} from its own environment when it loads the datasource.`,
          'For InfluxDB 2.x map the bucket to a database for InfluxQL (influx v1 dbrp create) and use that database name.',
        ].join('\n') + '\n',
      );
    });
}
