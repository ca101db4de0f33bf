import { fileURLToPath } from 'node:url';
import { ptyForCommand, requireCommand } from '@espbench/tools/testing';
import { describe, expect, it } from 'vitest';
import { runIdfIperf, type IdfIperfOptions } from '../src/index.js';

// ESP-IDF's iperf example console (simulated) on a real pty, driven through serialport, against
// Debian's iperf 2 on the host.
const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/idf-iperf-sim/main'));

async function onPty<T>(uri: string, run: (path: string) => Promise<T>): Promise<T> {
  const pty = await ptyForCommand(process.execPath, [simMain, uri]);
  try {
    return await run(pty.path);
  } finally {
    await pty.close();
  }
}

const base = (device: string, extra: Partial<IdfIperfOptions> = {}): IdfIperfOptions => ({
  device,
  scenarios: ['wifi-tcp-upload', 'wifi-udp-upload'],
  iterations: 1,
  durationS: 2,
  labels: { ref: 'idf-test' },
  hostIp: '127.0.0.1',
  ssid: 'espbench-ap',
  password: 'espbench-pass',
  runId: 'idf-1',
  udpBitsPerSecond: 2_000_000,
  ...extra,
});

describe('ESP-IDF iperf console as a firmware family', () => {
  requireCommand('iperf', 'iperf');

  for (const report of [1, 2, 3] as const) {
    it(`report generation ${report}: joins the AP, uploads TCP and UDP to the host's iperf 2, records both sides`, async () => {
      const { record } = await onPty(`sim:esp32c3?fw=idf-iperf&report=${report}&rate=400000&ip=127.0.0.1&boot=0.1&rssi=-52`, (path) => runIdfIperf(base(path)));
      expect(record.status, record.error ?? '').toBe('ok');
      expect(record.device).toMatchObject({ chip: 'esp32c3', ip: '127.0.0.1' });
      expect(record.labels).toMatchObject({ firmware: 'esp-idf', ref: 'idf-test' });
      const [tcp, udp] = record.results;
      // 400,000 B/s is 390.6 KiB/s; the host's iperf 2 counts what arrived.
      expect(Math.abs(tcp!.hostKiBps! / 390.625 - 1)).toBeLessThan(0.03);
      expect(Math.abs(tcp!.deviceKiBps! / tcp!.hostKiBps! - 1)).toBeLessThan(0.03);
      expect(tcp!.intervals.length).toBeGreaterThanOrEqual(2);
      expect(tcp!.boards![0]!.details).toMatchObject({ generation: report, rssi: -52 });
      // UDP at 2 Mbit/s (or as fast as it can where the firmware has no -b: generation 1).
      expect(udp!.status).toBe('ok');
      expect(udp!.udp).toMatchObject({ lost: expect.any(Number) });
      if (report !== 1) expect(Math.abs(udp!.hostKiBps! / (2_000_000 / 8 / 1024) - 1)).toBeLessThan(0.05);
    }, 60_000);
  }

  it('a download: the host sends with iperf 2, the figure is what the board received', async () => {
    const { record } = await onPty('sim:esp32c6?fw=idf-iperf&report=3&rate=300000&ip=127.0.0.1&boot=0.1', (path) => runIdfIperf(base(path, { scenarios: ['wifi-tcp-download'], durationS: 3 })));
    expect(record.status, record.error ?? '').toBe('ok');
    const [r] = record.results;
    expect(r!.hostKiBps).toBe(r!.deviceKiBps);
    expect(r!.hostKiBps!).toBeLessThan(300_000 / 1024 * 1.05);
    expect(r!.hostKiBps!).toBeGreaterThan(300_000 / 1024 * 0.5);
    expect(r!.hostTxBytes).toBeGreaterThan(r!.bytes * 0.9);
  }, 60_000);

  it('a console that never shows its prompt fails the run with what to check; a refused iperf fails only its test', async () => {
    const silent = await onPty('sim:esp32c3?fw=idf-iperf&fault=no-prompt&ip=127.0.0.1&boot=0.1', (path) => runIdfIperf(base(path, { promptTimeoutS: 3 })));
    expect(silent.record.status).toBe('failed');
    expect(silent.record.error).toMatch(/no console prompt \(iperf>\) within 3 s: is the board running ESP-IDF's iperf example/);
    expect(silent.record.results).toEqual([]);
    const refused = await onPty('sim:esp32c3?fw=idf-iperf&fault=reject-iperf&ip=127.0.0.1&boot=0.1', (path) => runIdfIperf(base(path, { scenarios: ['wifi-tcp-upload'] })));
    expect(refused.record.status).toBe('failed');
    expect(refused.record.results[0]).toMatchObject({ status: 'failed', hostKiBps: null, failure: { kind: 'iperf-invalid-argument', message: expect.stringContaining('the board refused the test') } });
  }, 60_000);

  it('a host without iperf 2 is a clear error before anything runs', async () => {
    // The device URI itself says "iperf": check the error's kind and its fix, not just a word.
    await expect(runIdfIperf(base('sim:esp32c3?fw=idf-iperf', { iperf: '/nonexistent/iperf' }))).rejects.toMatchObject({ name: 'Iperf2MissingError', message: expect.stringContaining('apt-get install iperf') });
  });
});

describe('firmware families', () => {
  it('each family recognises only its own lines; simulators name theirs', async () => {
    const { FIRMWARE_FAMILIES, FAMILY_NAMES, familyOfSim } = await import('../src/index.js');
    const lines: Record<string, string> = {
      'esp-hal': 'Testing download...',
      'espbench-v1': '@espbench {"v":1,"type":"ready"}',
      'esp-idf': 'iperf> ',
    };
    for (const family of FAMILY_NAMES) {
      expect(FAMILY_NAMES.filter((f) => FIRMWARE_FAMILIES[f].recognise(lines[family]!))).toEqual([family]);
    }
    expect(FAMILY_NAMES.filter((f) => FIRMWARE_FAMILIES[f].recognise('I (24) boot: ESP-IDF v5.3 2nd stage bootloader'))).toEqual([]);
    expect(FIRMWARE_FAMILIES['esp-idf'].recognise('[ ID] Interval\t\tTransfer\tBandwidth')).toBe(true);
    expect([familyOfSim('sim:esp32c3?rate=1'), familyOfSim('sim:esp32c6?fw=v1'), familyOfSim('sim:esp32?fw=idf-iperf&report=1'), familyOfSim('/dev/ttyACM0')]).toEqual(['esp-hal', 'espbench-v1', 'esp-idf', null]);
  });
});
