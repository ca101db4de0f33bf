import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

describe('espbench dashboards', () => {
  it('writes the dashboards and provisioning files and says how to use them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'espbench-grafana-'));
    const r = await espbench(['dashboards', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.dashboards.map((d: { uid: string }) => d.uid)).toEqual(['espbench-nightly', 'espbench-release', 'espbench-coex', 'espbench-run']);
    expect(j.files).toHaveLength(6);
    for (const d of j.dashboards) {
      const model = JSON.parse(readFileSync(join(out, 'dashboards', `${d.uid}.json`), 'utf8'));
      expect(model.uid).toBe(d.uid);
      expect(model.panels.length).toBeGreaterThan(0);
    }
    const ds = readFileSync(join(out, 'provisioning/datasources/espbench.yaml'), 'utf8');
    expect(ds).toContain('${ESPBENCH_INFLUX_URL}');
    expect(ds).toContain('${ESPBENCH_INFLUX_PASSWORD}');

    const human = await espbench(['dashboards', '--out', out, '--auth', 'token']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`GF_PATHS_PROVISIONING=${join(out, 'provisioning')}`);
    expect(human.stdout).toContain('ESPBENCH_INFLUX_TOKEN=');
    expect(readFileSync(join(out, 'provisioning/datasources/espbench.yaml'), 'utf8')).toContain('Token ${ESPBENCH_INFLUX_TOKEN}');

    const bad = await espbench(['dashboards', '--out', out, '--auth', 'oauth']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('espbench: --auth must be basic or token, got "oauth"');
  });
});
