import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DASHBOARD_PROVIDER_FILE,
  DATASOURCE_FILE,
  DATASOURCE_UID,
  buildDashboards,
  datasourceEnv,
  datasourceYaml,
  provisioningFiles,
  writeDashboards,
} from '../src/index.js';

/** `key: value` pairs of a generated YAML file (flat: enough for these files, which use one value per line). */
function values(yaml: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of yaml.split('\n')) {
    const match = /^\s*(?:- )?([A-Za-z0-9_]+): (.+)$/.exec(line);
    if (match) m.set(match[1]!, JSON.parse(match[2]!.startsWith('"') ? match[2]! : JSON.stringify(match[2]!)));
  }
  return m;
}

const SECRET_KEYS = ['password', 'user', 'httpHeaderValue1', 'token', 'basicAuthPassword'];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('provisioning files', () => {
  it('datasource (user and password): InfluxQL, the fixed uid, every connection setting from the environment', () => {
    const env = { ESPBENCH_INFLUX_PASSWORD: 'pw-that-must-not-appear', ESPBENCH_INFLUX_TOKEN: 'tok-that-must-not-appear' };
    Object.assign(process.env, env);
    try {
      const yaml = datasourceYaml('basic');
      const v = values(yaml);
      expect(v.get('apiVersion')).toBe('1');
      expect(v.get('uid')).toBe(DATASOURCE_UID);
      expect(v.get('type')).toBe('influxdb');
      expect(v.get('access')).toBe('proxy');
      expect(v.get('version')).toBe('InfluxQL');
      expect(v.get('url')).toBe('${ESPBENCH_INFLUX_URL}');
      expect(v.get('database')).toBe('${ESPBENCH_INFLUX_DB}');
      expect(v.get('dbName')).toBe('${ESPBENCH_INFLUX_DB}');
      expect(v.get('user')).toBe('${ESPBENCH_INFLUX_USER}');
      expect(v.get('password')).toBe('${ESPBENCH_INFLUX_PASSWORD}');
      expect(yaml).toMatch(/\n {4}secureJsonData:\n {6}password: /);
      expect(v.has('httpHeaderValue1')).toBe(false);
      for (const secret of Object.values(env)) expect(yaml).not.toContain(secret);
      expect(datasourceEnv('basic')).toEqual(['ESPBENCH_INFLUX_URL', 'ESPBENCH_INFLUX_DB', 'ESPBENCH_INFLUX_USER', 'ESPBENCH_INFLUX_PASSWORD']);
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  });

  it('datasource (token): an Authorization header filled from ESPBENCH_INFLUX_TOKEN, no password', () => {
    const yaml = datasourceYaml('token');
    const v = values(yaml);
    expect(v.get('httpHeaderName1')).toBe('Authorization');
    expect(v.get('httpHeaderValue1')).toBe('Token ${ESPBENCH_INFLUX_TOKEN}');
    expect(v.has('password')).toBe(false);
    expect(v.has('user')).toBe(false);
    expect(datasourceEnv('token')).toEqual(['ESPBENCH_INFLUX_URL', 'ESPBENCH_INFLUX_DB', 'ESPBENCH_INFLUX_TOKEN']);
  });

  it('no file holds a literal secret: every credential is an environment reference', () => {
    for (const auth of ['basic', 'token'] as const) {
      for (const f of provisioningFiles({ dashboardsPath: '/var/lib/grafana/espbench', auth })) {
        if (!f.path.endsWith('.yaml')) continue;
        for (const [key, value] of values(f.content)) {
          if (SECRET_KEYS.includes(key)) expect(value, `${f.path} ${key}`).toMatch(/^(Token )?\$\{ESPBENCH_INFLUX_[A-Z]+\}$/);
        }
      }
    }
  });

  it('dashboard provider: a file provider reading the dashboards directory; a $ in the path is escaped for Grafana', () => {
    const files = provisioningFiles({ dashboardsPath: '/srv/grafana/$espbench' });
    const provider = files.find((f) => f.path === DASHBOARD_PROVIDER_FILE)!;
    const v = values(provider.content);
    expect(v.get('type')).toBe('file');
    expect(v.get('path')).toBe('/srv/grafana/$$espbench');
    expect(v.get('folder')).toBe('espbench');
    expect(files.map((f) => f.path).sort()).toEqual(
      [DATASOURCE_FILE, DASHBOARD_PROVIDER_FILE, ...buildDashboards().map((d) => `dashboards/${d.uid}.json`)].sort(),
    );
  });

  it('writeDashboards writes every file and returns them; the provider points at the written JSON files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'espbench-dashboards-'));
    dirs.push(out);
    const written = await writeDashboards(join(out, 'grafana'));
    const root = join(out, 'grafana');
    expect(written.sort()).toEqual(
      [join(root, DATASOURCE_FILE), join(root, DASHBOARD_PROVIDER_FILE), ...buildDashboards().map((d) => join(root, 'dashboards', `${d.uid}.json`))].sort(),
    );
    const provider = values(await readFile(join(root, DASHBOARD_PROVIDER_FILE), 'utf8'));
    expect(provider.get('path')).toBe(join(root, 'dashboards'));
    const jsonFiles = await readdir(provider.get('path')!);
    expect(jsonFiles.sort()).toEqual(buildDashboards().map((d) => `${d.uid}.json`).sort());
    for (const d of buildDashboards()) {
      expect(JSON.parse(await readFile(join(root, 'dashboards', `${d.uid}.json`), 'utf8'))).toStrictEqual(d.json);
    }
    expect(await readdir(join(root, 'provisioning'))).toEqual(expect.arrayContaining(['datasources', 'dashboards']));
    // Writing again replaces the files with the same content.
    expect((await writeDashboards(join(out, 'grafana'))).length).toBe(written.length);
  });
});
