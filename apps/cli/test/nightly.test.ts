import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunRecord, type RunRecord } from '@espbench/schema';
import { buildTestElf } from '@espbench/firmware-fixtures/espflash';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

function plan(dir: string, ref: string, rate: number): string {
  const file = join(dir, `${ref}.yaml`);
  writeFileSync(
    file,
    `version: 1
name: nightly
refs: [{ name: ${ref} }]
chips: [esp32c3, esp32c6]
iterations: 1
rigs: local
devices:
  esp32c3: "sim:esp32c3?rate=${rate}&duration=1&pause=0.3&ip=127.0.0.71"
  esp32c6: "sim:esp32c6?rate=${rate}&duration=1&pause=0.3&ip=127.0.0.72"
labels: { rig: lab }
`,
  );
  return file;
}

describe('espbench nightly (local dispatch)', () => {
  it('runs every ref x chip, stores them, and fails on a regression against the trailing window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'espbench-nightly-'));
    const results = join(dir, 'results');
    const first = await espbench(['nightly', '--plan', plan(dir, 'n1', 1_000_000), '--listen', '127.0.0.1', '--results', results, '--json'], { timeoutMs: 90_000 });
    expect(first.code, first.stderr).toBe(0);
    const s1 = JSON.parse(first.stdout);
    expect(s1.items.map((i: { id: string; status: string }) => `${i.id} ${i.status}`)).toEqual(['nightly.n1.esp32c3 ok', 'nightly.n1.esp32c6 ok']);
    expect(s1.items[0].checks.map((c: { verdict: string }) => c.verdict)).toEqual(['not enough data', 'not enough data', 'not enough data']);

    // Six earlier nights at the same rate: copies of tonight's runs, one day apart.
    const records: RunRecord[] = readdirSync(results).filter((f) => f.endsWith('.json')).map((f) => parseRunRecord(JSON.parse(readFileSync(join(results, f), 'utf8'))));
    for (const r of records) {
      for (let d = 1; d <= 6; d++) {
        const shift = (iso: string) => new Date(Date.parse(iso) - d * 86_400_000).toISOString();
        const copy = { ...r, runId: `${r.runId}-d${d}`, startedAt: shift(r.startedAt), endedAt: shift(r.endedAt), labels: { ...r.labels, ref: `n0-${d}` }, results: r.results.map((x) => ({ ...x, startedAt: shift(x.startedAt), endedAt: shift(x.endedAt), hostKiBps: x.hostKiBps === null ? null : x.hostKiBps * (1 + d / 1000) })) };
        writeFileSync(join(results, `${copy.runId}.json`), JSON.stringify(copy));
      }
    }

    const slower = await espbench(['nightly', '--plan', plan(dir, 'n2', 800_000), '--listen', '127.0.0.1', '--results', results], { timeoutMs: 90_000 });
    expect(slower.code, slower.stderr).toBe(1);
    expect(slower.stdout).toMatch(/^nightly\.n2\.esp32c3\s+ok\s+3\s+0\s+3 slower/m);
    // 800,000 B/s is 781.25 KiB/s; a loaded machine measures a little less.
    const c6 = /^slower: nightly\.n2\.esp32c6 wifi-tcp-upload on lab: (\d+\.\d) KiB\/s/m.exec(slower.stdout);
    expect(c6, slower.stdout).not.toBeNull();
    expect(Math.abs(Number(c6![1]) / 781.25 - 1)).toBeLessThan(0.03);
  }, 200_000);

  it("tags each run with its plan image's app descriptor (a simulated board is not flashed)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'espbench-nightly-fw-'));
    writeFileSync(join(dir, 'c3-main.elf'), buildTestElf({ chip: 'esp32c3' }));
    const file = join(dir, 'fw.yaml');
    writeFileSync(
      file,
      `version: 1
name: fw
refs: [{ name: main-1, firmware: { esp32c3: c3-main.elf } }]
chips: [esp32c3]
iterations: 1
rigs: local
devices: { esp32c3: "sim:esp32c3?rate=300000&duration=0.3&pause=0.1&ip=127.0.0.73" }
`,
    );
    const results = join(dir, 'results');
    const r = await espbench(['nightly', '--plan', file, '--listen', '127.0.0.1', '--results', results, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const [runId] = JSON.parse(r.stdout).items[0].runIds as string[];
    const record = parseRunRecord(JSON.parse(readFileSync(join(results, `${runId}.json`), 'utf8')));
    expect(record.labels).toMatchObject({ ref: 'main-1', plan: 'fw', project: 'espbench-test', firmware_image: 'c3-main.elf', elf_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // An image that is not there: the item fails with the reason, nothing measured.
    writeFileSync(file, readFileSync(file, 'utf8').replace('c3-main.elf', 'c3-gone.elf'));
    const gone = await espbench(['nightly', '--plan', file, '--listen', '127.0.0.1', '--results', results, '--json'], { timeoutMs: 60_000 });
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout).items[0]).toMatchObject({ status: 'error', why: `firmware c3-gone.elf: no such image in the firmware directory ${dir}`, runIds: [] });
  }, 90_000);

  it('a bad plan is one line with the place, exit 2; --schema prints the JSON Schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'espbench-nightly-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nname: n\nrefs: [{ name: r }]\nchips: [esp32c3]\n');
    const bad = await espbench(['nightly', '--plan', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`espbench: ${file}: devices.esp32c3: local dispatch needs devices.esp32c3: the URI of the esp32c3 board`);
    const rigs = join(dir, 'rigs.yaml');
    writeFileSync(rigs, 'version: 1\nname: n\nrefs: [{ name: r }]\nchips: [esp32c3]\nrigs: [lab-1]\n');
    const mqtt = await espbench(['nightly', '--plan', rigs], { env: { ESPBENCH_MQTT_URL: '' } });
    expect(mqtt.code).toBe(2);
    expect(mqtt.stderr.trim()).toBe('espbench: no MQTT broker: give --mqtt <url> (e.g. mqtt://localhost:1883) or set ESPBENCH_MQTT_URL');
    const local = await espbench(['nightly', '--plan', rigs, '--dispatch', 'local']);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/rigs: \["lab-1"\] are reached over MQTT: use --dispatch mqtt/);
    const schema = await espbench(['nightly', '--schema']);
    expect(schema.code).toBe(0);
    expect(JSON.parse(schema.stdout)).toMatchObject({ title: 'espbench nightly plan', type: 'object' });
  });
});
