import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandPlan, loadPlan, parsePlanText, planJsonSchema, PlanFileError } from '../src/index.js';

const YAML = `
version: 1
name: nightly
refs:
  - name: v1.0.0
    firmware: { esp32c3: c3-v1.0.0.bin, esp32c6: c6-v1.0.0.bin }
  - name: main-3f9a2c
    firmware: { esp32c3: c3-main.bin, esp32c6: c6-main.bin }
chips: [esp32c3, esp32c6]
iterations: 3
rigs: [lab-1, lab-2]
labels: { board: devkit }
`;

describe('nightly plans', () => {
  it('expands refs x chips into items with labels, defaults and targets', () => {
    const items = expandPlan(parsePlanText(YAML, 'plan.yaml'));
    expect(items.map((i) => i.id)).toEqual(['nightly.v1.0.0.esp32c3', 'nightly.v1.0.0.esp32c6', 'nightly.main-3f9a2c.esp32c3', 'nightly.main-3f9a2c.esp32c6']);
    expect(items[0]).toMatchObject({
      ref: 'v1.0.0',
      chip: 'esp32c3',
      firmware: 'c3-v1.0.0.bin',
      scenarios: null,
      iterations: 3,
      durationS: 15,
      labels: { board: 'devkit', ref: 'v1.0.0', plan: 'nightly' },
      target: { kind: 'rigs', rigs: ['lab-1', 'lab-2'] },
      timeoutMs: 30 * 60_000,
    });
  });

  it('reads JSON and YAML files and says exactly what is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'espbench-plan-'));
    const json = join(dir, 'plan.json');
    writeFileSync(json, JSON.stringify({ version: 1, name: 'n', refs: [{ name: 'r' }], chips: ['esp32c3'], devices: { esp32c3: 'sim:esp32c3' } }));
    expect((await loadPlan(json)).rigs).toBe('local');
    await expect(loadPlan(join(dir, 'nope.yaml'))).rejects.toThrow(/nope\.yaml: no such file/);
    const bad = (text: string) => () => parsePlanText(text, 'p.yaml');
    expect(bad('version: 2\nname: n')).toThrow('p.yaml: plan version 2 is not supported (this espbench reads version 1)');
    expect(bad('version: 1\nname: n\nrefs: [{name: r}]\nchips: [esp32c9]')).toThrow(/p\.yaml: chips\.0: /);
    expect(bad('version: 1\nname: n\nrefs: [{name: r}]\nchips: [esp32c3]')).toThrow('p.yaml: devices.esp32c3: local dispatch needs devices.esp32c3: the URI of the esp32c3 board');
    expect(bad('version: 1\nname: n\nrefs: [{name: r, firmware: {esp32c3: a.bin}}]\nchips: [esp32c3, esp32c6]\nrigs: [a]')).toThrow(/ref r has no firmware image for esp32c6/);
    expect(bad('version: 1\nname: "bad name"')).toThrow(/name: letters, digits/);
    expect(bad('version: 1\nname: n\nrefs: [{name: r}]\nchips: [esp32c3]\nrigs: [a]\nshell: rm -rf /')).toThrow(/Unrecognized key/);
    expect(bad(': : :')).toThrow(PlanFileError);
  });

  it('has a JSON Schema for editors that lists the fields', () => {
    const schema = planJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['version', 'refs', 'chips', 'scenarios', 'rigs', 'devices', 'iterations']));
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'name', 'refs', 'chips']));
  });
});
