import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { coexDashboard, nightlyDashboard, releaseDashboard, runDetailDashboard, type BuiltDashboard } from './dashboards.js';
import { DATASOURCE_TYPE, DATASOURCE_UID } from './influx-query.js';

/** The four dashboards, in menu order. */
export function buildDashboards(): BuiltDashboard[] {
  return [nightlyDashboard(), releaseDashboard(), coexDashboard(), runDetailDashboard()];
}

/**
 * How Grafana authenticates to InfluxDB. `basic`: user and password (InfluxDB 1.x; a v1 auth of
 * 2.x). `token`: `Authorization: Token ...` (2.x and 3.x, and 1.8+ with `user:password` as token).
 */
export type DatasourceAuth = 'basic' | 'token';

/** Environment variables the provisioned datasource reads (the names the espbench writer uses too). */
export const DATASOURCE_ENV = {
  url: 'ESPBENCH_INFLUX_URL',
  database: 'ESPBENCH_INFLUX_DB',
  user: 'ESPBENCH_INFLUX_USER',
  password: 'ESPBENCH_INFLUX_PASSWORD',
  token: 'ESPBENCH_INFLUX_TOKEN',
} as const;

/** The variables Grafana's environment needs for the given auth, in the order to explain them. */
export function datasourceEnv(auth: DatasourceAuth = 'basic'): string[] {
  const e = DATASOURCE_ENV;
  return auth === 'token' ? [e.url, e.database, e.token] : [e.url, e.database, e.user, e.password];
}

export interface ProvisioningOptions {
  /** Directory Grafana reads the dashboard JSON files from (the file provider's `path`), as Grafana sees it. */
  dashboardsPath: string;
  auth?: DatasourceAuth;
  /** Grafana folder the dashboards go in (default `espbench`). */
  folder?: string;
}

export interface ProvisioningFile {
  /** Relative to the output directory: `provisioning/...` or `dashboards/<uid>.json`. */
  path: string;
  content: string;
}

export const DATASOURCE_FILE = 'provisioning/datasources/espbench.yaml';
export const DASHBOARD_PROVIDER_FILE = 'provisioning/dashboards/espbench.yaml';
export const DASHBOARDS_DIR = 'dashboards';

/** A YAML double-quoted scalar (JSON strings are valid YAML) holding a literal: `$` escaped as `$$`. */
const yamlLiteral = (value: string) => JSON.stringify(value.replace(/\$/g, '$$$$'));
/** A YAML scalar Grafana fills from its environment when it loads the file: `${NAME}`, never the value. */
const yamlEnv = (name: string, prefix = '') => JSON.stringify(`${prefix}\${${name}}`);

export function datasourceYaml(auth: DatasourceAuth = 'basic'): string {
  const e = DATASOURCE_ENV;
  const lines = [
    '# The InfluxDB datasource of the espbench dashboards, written by `espbench dashboards`.',
    "# Grafana fills in the ESPBENCH_INFLUX_* references from its own environment when it loads this file:",
    '# no secret is stored here.',
    `# Set ${datasourceEnv(auth).join(', ')} in Grafana's environment.`,
    'apiVersion: 1',
    'datasources:',
    `  - name: ${yamlLiteral('espbench InfluxDB')}`,
    `    uid: ${yamlLiteral(DATASOURCE_UID)}`,
    `    type: ${yamlLiteral(DATASOURCE_TYPE)}`,
    `    access: ${yamlLiteral('proxy')}`,
    `    url: ${yamlEnv(e.url)}`,
    `    database: ${yamlEnv(e.database)}`,
  ];
  if (auth === 'basic') lines.push(`    user: ${yamlEnv(e.user)}`);
  lines.push(
    '    editable: false',
    '    jsonData:',
    // InfluxQL (not Flux, not SQL): the one query language 1.x, 2.x (v1 compatibility) and 3.x share.
    `      version: ${yamlLiteral('InfluxQL')}`,
    `      dbName: ${yamlEnv(e.database)}`,
    // The nightly statement is long; POST keeps it out of the URL (InfluxDB accepts SELECT by POST).
    `      httpMode: ${yamlLiteral('POST')}`,
  );
  if (auth === 'token') lines.push(`      httpHeaderName1: ${yamlLiteral('Authorization')}`);
  lines.push('    secureJsonData:');
  if (auth === 'basic') lines.push(`      password: ${yamlEnv(e.password)}`);
  else lines.push(`      httpHeaderValue1: ${yamlEnv(e.token, 'Token ')}`);
  return lines.join('\n') + '\n';
}

export function dashboardProviderYaml(dashboardsPath: string, folder = 'espbench'): string {
  return [
    '# Loads the espbench dashboards from their JSON files, written by `espbench dashboards`.',
    'apiVersion: 1',
    'providers:',
    `  - name: ${yamlLiteral('espbench')}`,
    '    orgId: 1',
    `    folder: ${yamlLiteral(folder)}`,
    `    type: ${yamlLiteral('file')}`,
    '    disableDeletion: false',
    '    allowUiUpdates: false',
    '    updateIntervalSeconds: 60',
    '    options:',
    `      path: ${yamlLiteral(dashboardsPath)}`,
    '      foldersFromFilesStructure: false',
  ].join('\n') + '\n';
}

/** Every file Grafana needs: the datasource, the dashboard provider and one JSON file per dashboard. */
export function provisioningFiles(opts: ProvisioningOptions): ProvisioningFile[] {
  return [
    { path: DATASOURCE_FILE, content: datasourceYaml(opts.auth) },
    { path: DASHBOARD_PROVIDER_FILE, content: dashboardProviderYaml(opts.dashboardsPath, opts.folder) },
    ...buildDashboards().map((d) => ({ path: `${DASHBOARDS_DIR}/${d.uid}.json`, content: JSON.stringify(d.json, null, 2) + '\n' })),
  ];
}

export interface WriteOptions extends Partial<ProvisioningOptions> {}

/**
 * Write every provisioning file under `outDir` (the dashboards to `<outDir>/dashboards`, which is
 * the provider's path unless `dashboardsPath` says where Grafana sees them). Returns the absolute
 * paths written. Point Grafana at them with GF_PATHS_PROVISIONING=<outDir>/provisioning.
 */
export async function writeDashboards(outDir: string, opts: WriteOptions = {}): Promise<string[]> {
  const root = resolve(outDir);
  const files = provisioningFiles({ ...opts, dashboardsPath: opts.dashboardsPath ?? join(root, DASHBOARDS_DIR) });
  const written: string[] = [];
  for (const f of files) {
    const path = join(root, f.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.content);
    written.push(path);
  }
  return written;
}
