import { fileURLToPath } from 'node:url';
import { findFreePortBase } from '@espbench/traffic';
import { ptyForCommand } from '@espbench/tools/testing';
import { describe, expect, it } from 'vitest';
import { runBench } from '../src/index.js';
import { result, TRUE_KIBPS } from './helpers.js';

let n = 0;
const ids = () => `boards-${n++}`;
const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/wifi-bench-sim/main'));
const within = (value: number | null, truth: number, tolerance: number) => Math.abs((value ?? -1) - truth) / truth < tolerance;

describe('several boards on one traffic server', () => {
  // Rates 1.5x apart: a connection given to the wrong board would be off by 33% or more.
  it('attributes each connection to its board by source address', async () => {
    const rates = [300_000, 600_000, 900_000];
    const records = await runBench({
      devices: rates.map((rate) => `sim:esp32c6?rate=${rate}&duration=2&pause=0.3`),
      iterations: 2,
      labels: {},
      listen: '127.0.0.1',
      portBase: 0,
      newRunId: ids,
    });
    expect(records.map((r) => r.device.ip)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    records.forEach((record, i) => {
      expect(record.status, record.error ?? '').toBe('ok');
      expect(record.results).toHaveLength(6);
      for (const iteration of [1, 2]) {
        const up = result(record, 'wifi-tcp-upload', iteration);
        expect(within(up.hostKiBps, TRUE_KIBPS(rates[i]!), 0.03), `board ${i} upload ${up.hostKiBps}`).toBe(true);
        const down = result(record, 'wifi-tcp-download', iteration);
        expect(within(down.hostKiBps, TRUE_KIBPS(rates[i]!), 0.03), `board ${i} download ${down.hostKiBps}`).toBe(true);
      }
    });
  });
});

describe('a simulated board behind a real pty', () => {
  it('reads it through serialport, learns its IP from "Got IP" and measures it', async () => {
    const portBase = await findFreePortBase('127.0.0.1');
    const pty = await ptyForCommand(process.execPath, [
      simMain,
      '--host',
      '127.0.0.1',
      '--port-base',
      String(portBase),
      'sim:esp32?rate=500000&duration=1.5&pause=0.3&ip=127.0.0.7',
    ]);
    try {
      const [record] = await runBench({
        devices: [pty.path],
        iterations: 1,
        labels: { rig: 'pty' },
        listen: '127.0.0.1',
        portBase,
        testDurationS: 1.5,
        pauseS: 0.3,
        newRunId: ids,
      });
      expect(record!.status, record!.error ?? '').toBe('ok');
      expect(record!.device).toMatchObject({ uri: pty.path, chip: 'esp32', ip: '127.0.0.7' });
      expect(within(result(record!, 'wifi-tcp-upload').hostKiBps, TRUE_KIBPS(500_000), 0.02)).toBe(true);
      expect(record!.log.some((l) => l.line.startsWith('Got IP: 127.0.0.7'))).toBe(true);
    } finally {
      await pty.close();
    }
  });
});
