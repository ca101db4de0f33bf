import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ptyForCommand, requireCommand } from '@espbench/tools/testing';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

// The question esp-hal users ask upstream: the same board, esp-hal vs ESP-IDF. Two simulated boards,
// one running esp-hal's bench loop at 600,000 B/s and one running ESP-IDF's iperf example at
// 400,000 B/s (against the host's real iperf 2), then one comparison by firmware family.
describe('esp-hal vs ESP-IDF on the same scenario names', () => {
  it('each run is labelled with its family, and compare firmware=esp-hal vs firmware=esp-idf says slower', async () => {
    requireCommand('iperf', 'iperf');
    const results = mkdtempSync(join(tmpdir(), 'espbench-families-'));
    const hal = await espbench(['run', '-d', 'sim:esp32c3?rate=600000&duration=1&pause=0.2&ip=127.0.0.75', '-n', '4', '--listen', '127.0.0.1', '--results', results, '--label', 'ref=hal-1', '--json'], { timeoutMs: 120_000 });
    expect(hal.code, hal.stderr).toBe(0);
    expect(JSON.parse(hal.stdout).labels).toEqual({ ref: 'hal-1', firmware: 'esp-hal' });

    const idf = await espbench(['run', '-d', 'sim:esp32c3?fw=idf-iperf&report=3&rate=400000&ip=127.0.0.1&boot=0.1', '-n', '4', '--duration', '1', '--scenario', 'wifi-tcp-upload', '--results', results, '--label', 'ref=idf-5.5', '--json'], { timeoutMs: 120_000 });
    expect(idf.code, idf.stderr).toBe(0);
    const record = JSON.parse(idf.stdout);
    expect(record.labels).toEqual({ ref: 'idf-5.5', firmware: 'esp-idf' });
    expect(record.results.map((r: { scenario: string; status: string }) => `${r.scenario} ${r.status}`)).toEqual(Array(4).fill('wifi-tcp-upload ok'));

    const cmp = await espbench(['compare', '--baseline', 'firmware=esp-hal', '--candidate', 'firmware=esp-idf', '--scenario', 'wifi-tcp-upload', '--results', results, '--json']);
    expect(cmp.code, cmp.stderr).toBe(1);
    const [row] = JSON.parse(cmp.stdout).rows;
    expect(row).toMatchObject({ chip: 'esp32c3', scenario: 'wifi-tcp-upload', verdict: 'slower' });
    // 400,000 against 600,000 B/s: -33%.
    expect(row.deltaPct).toBeGreaterThan(-36);
    expect(row.deltaPct).toBeLessThan(-30);
  }, 300_000);

  it('a serial board is recognised by what it prints: the ESP-IDF console on a pty, no --firmware given', async () => {
    requireCommand('iperf', 'iperf');
    const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/idf-iperf-sim/main'));
    const pty = await ptyForCommand(process.execPath, [simMain, 'sim:esp32c6?fw=idf-iperf&report=2&rate=300000&ip=127.0.0.1&boot=0.1']);
    try {
      const results = mkdtempSync(join(tmpdir(), 'espbench-families-'));
      const r = await espbench(['run', '-d', pty.path, '--duration', '2', '--host-ip', '127.0.0.1', '--ssid', 'espbench-ap', '--results', results], { env: { ESPBENCH_WIFI_PASSWORD: 'espbench-pass' }, timeoutMs: 90_000 });
      expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
      expect(r.stderr).toContain(`espbench: ${pty.path} runs esp-idf firmware (--firmware to say so)`);
      for (const s of ['wifi-tcp-upload', 'wifi-tcp-download', 'wifi-udp-upload', 'wifi-udp-download']) expect(r.stdout).toMatch(new RegExp(`${s}\\s+ok`));
    } finally {
      await pty.close();
    }
  }, 120_000);

  it('bad input: an unknown family, esp-idf without an access point, a scenario the example cannot run', async () => {
    const unknown = await espbench(['run', '-d', '/dev/ttyACM0', '--firmware', 'zephyr']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--firmware <family>' argument 'zephyr' is invalid\. Allowed choices are esp-hal, espbench-v1, esp-idf/);
    const noAp = await espbench(['run', '-d', '/dev/ttyESPBENCH-none', '--firmware', 'esp-idf'], { env: { ESPBENCH_WIFI_SSID: '' } });
    expect(noAp.code).toBe(2);
    expect(noAp.stderr.trim()).toBe('espbench: --firmware esp-idf needs the access point the board joins: --ssid NAME (and $ESPBENCH_WIFI_PASSWORD)');
    const ble = await espbench(['run', '-d', 'sim:esp32c3?fw=idf-iperf', '--scenario', 'ble-notify']);
    expect(ble.code).toBe(2);
    expect(ble.stderr.trim()).toBe("espbench: --scenario ble-notify: ESP-IDF's iperf example measures wifi-tcp-upload, wifi-tcp-download, wifi-udp-upload, wifi-udp-download");
  });
});
