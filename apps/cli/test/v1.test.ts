import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunRecord } from '@espbench/schema';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const NET = ['--listen', '127.0.0.1', '--port-base', '0'];
const IDF_LOG = fileURLToPath(new URL('../../../firmware-fixtures/transcripts/esp-idf-ble-throughput-client.log', import.meta.url));

describe('espbench run with protocol-v1 firmware', () => {
  it('--scenario, --peer and --coex: a table with the coexistence loss, and the record', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-v1-'));
    const r = await espbench(
      ['run', '-d', 'sim:esp32c6?fw=v1&rate=500000&coex_wifi=0.6&ip=127.0.0.51', '--peer', 'sim:esp32c3?fw=v1&ip=127.0.0.52', '--scenario', 'wifi-udp-upload', '--coex', 'wifi-tcp-upload+ble-notify', '--duration', '2', '--results', results, ...NET],
      { timeoutMs: 90_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s+1\s+wifi-udp-upload\s+ok\s.*loss 0\.00%, jitter/m);
    expect(r.stdout).toMatch(/^\s+1\s+wifi-tcp-upload \+ble-notify\s+ok\s.*-(39|40|41)\.\d% vs alone/m); // airtime model: -40%
    expect(r.stdout).toMatch(/^\s+1\s+ble-notify \+wifi-tcp-upload\s+ok\s.*PHY 1M, MTU 247, interval 7\.5 ms/m);

    const json = await espbench(['runs', '--json', '--results', results]);
    const [summary] = JSON.parse(json.stdout);
    const show = await espbench(['show', summary.runId, '--json', '--results', results]);
    const record = parseRunRecord(JSON.parse(show.stdout));
    expect(record.peer).toMatchObject({ chip: 'esp32c3' });
    expect(record.results.map((x) => x.scenario)).toEqual(['wifi-udp-upload', 'wifi-tcp-upload', 'ble-notify', 'wifi-tcp-upload', 'ble-notify']);
  }, 120_000);

  it('bad plans are one line and exit 2; impossible scenarios are skipped with the reason', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-v1-'));
    const bad = await espbench(['run', '-d', 'sim:esp32c6?fw=v1', '--coex', 'wifi-tcp-upload+wifi-tcp-download', '--results', results]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('espbench: --coex "wifi-tcp-upload+wifi-tcp-download" needs one WiFi and one BLE scenario');
    const unknown = await espbench(['run', '-d', 'sim:esp32c6?fw=v1', '--scenario', 'ble-scan', '--results', results]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^espbench: --scenario "ble-scan" is not a scenario; known: wifi-tcp-download, /);
    const peerOnly = await espbench(['run', '-d', 'sim:esp32c6', '--peer', 'sim:esp32c3?fw=v1', '--results', results]);
    expect(peerOnly.code).toBe(2);
    expect(peerOnly.stderr).toMatch(/--peer and --host-ip are for protocol-v1 firmware/);
    const real = await espbench(['run', '-d', '/dev/ttyACM9', '--scenario', 'wifi-tcp-upload', '--results', results]);
    expect(real.code).toBe(2);
    expect(real.stderr).toMatch(/--host-ip is needed/);

    const noPeer = await espbench(['run', '-d', 'sim:esp32c6?fw=v1&ip=127.0.0.53', '--scenario', 'ble-notify', '--scenario', 'wifi-tcp-download', '--duration', '1', '--results', results, ...NET]);
    expect(noPeer.code, noPeer.stderr).toBe(0);
    expect(noPeer.stderr).toContain('espbench: skipped ble-notify: ble-notify needs a peer board: add --peer <device>');
  }, 60_000);
});

describe('espbench run --idf-ble', () => {
  it("records ESP-IDF's BLE throughput example output, from a saved log via exec:", async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-idf-'));
    const r = await espbench(['run', '-d', `exec:cat '${IDF_LOG}'`, '--idf-ble', '--duration', '10', '--json', '--results', results]);
    expect(r.code, r.stderr).toBe(0);
    const record = parseRunRecord(JSON.parse(r.stdout));
    expect(record.device.chip).toBe('esp32c3');
    expect(record.results).toHaveLength(1);
    // The example's last cumulative figure: 97189 B/s over 10 s.
    expect(record.results[0]).toMatchObject({ scenario: 'ble-notify', status: 'ok', hostKiBps: Math.round((97189 / 1024) * 1000) / 1000, durationS: 10, bytes: 971890 });
    expect(record.results[0]!.intervals.map((i) => i.t)).toEqual([2, 4, 6, 8, 10]);
    expect(record.results[0]!.intervals.reduce((a, i) => a + i.bytes, 0)).toBe(971890);

    const short = await espbench(['run', '-d', 'exec:echo "I (1) boot: nothing here"', '--idf-ble', '--duration', '10', '--results', results]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('the log ended before any throughput line');
  }, 30_000);
});
