import { fileURLToPath } from 'node:url';
import { findFreePortBase } from '@espbench/traffic';
import { replugablePty } from '@espbench/tools/testing';
import { describe, expect, it } from 'vitest';
import { runBench, type Progress } from '../src/index.js';
import { result } from './helpers.js';

const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/wifi-bench-sim/main'));
let n = 0;
const ids = () => `replug-${n++}`;

describe('a serial port that disappears mid-run (USB unplug)', () => {
  it('fails the interrupted iteration, reopens the port when it is back at the same path and goes on', async () => {
    const portBase = await findFreePortBase('127.0.0.1');
    const pty = await replugablePty(process.execPath, [
      simMain,
      '--host',
      '127.0.0.1',
      '--port-base',
      String(portBase),
      'sim:esp32c3?rate=500000&duration=1.5&pause=0.3&boot=0.1&ip=127.0.0.9',
    ]);
    const warnings: string[] = [];
    const phases: Progress['phase'][] = [];
    let unplugged = false;
    try {
      const [record] = await runBench({
        devices: [pty.path],
        iterations: 2,
        labels: {},
        listen: '127.0.0.1',
        portBase,
        testDurationS: 1.5,
        pauseS: 0.3,
        timeouts: { reconnectS: 20 },
        newRunId: ids,
        onWarning: (line) => warnings.push(line),
        onProgress: (p) => {
          phases.push(p.phase);
          // Pull the cable in the middle of round 1's upload; plug it back a second later.
          if (!unplugged && p.iteration === 1 && p.scenario === 'wifi-tcp-upload' && p.phase === 'testing') {
            unplugged = true;
            void pty.unplug().then(() => setTimeout(() => void pty.plug(), 1000));
          }
        },
      });
      expect(unplugged).toBe(true);
      expect(record!.status).toBe('failed');
      expect(record!.error).toMatch(/2 of 6 results failed/);
      expect(result(record!, 'wifi-tcp-download', 1).status).toBe('ok');
      const cut = result(record!, 'wifi-tcp-upload', 1);
      expect(cut.status).toBe('failed');
      expect(cut.failure).toMatchObject({ kind: 'port-disconnected', message: expect.stringMatching(new RegExp(`serial port ${pty.path} disconnected during the test`)) });
      expect(result(record!, 'wifi-tcp-updown', 1).failure?.kind).toBe('not-run');
      for (const scenario of ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'] as const) {
        const r = result(record!, scenario, 2);
        expect(r.status, r.failure?.message).toBe('ok');
        expect(r.hostKiBps).toBeGreaterThan(400);
      }
      expect(phases).toContain('reconnecting');
      expect(warnings).toEqual([
        expect.stringMatching(new RegExp(`^${pty.path}: serial port ${pty.path} disconnected; waiting up to 20 s for it to come back$`)),
        `${pty.path} is back; going on with round 2 of 2`,
      ]);
      // A pty has no USB identity; the field is there, empty.
      expect(record!.device).toMatchObject({ uri: pty.path, ip: '127.0.0.9', serialNumber: null, mac: null });
    } finally {
      await pty.close();
    }
  }, 60_000);

  it('ends the run with the reason when the port does not come back in time', async () => {
    const portBase = await findFreePortBase('127.0.0.1');
    const pty = await replugablePty(process.execPath, [simMain, '--host', '127.0.0.1', '--port-base', String(portBase), 'sim:esp32c3?rate=500000&duration=1&pause=0.3&boot=0.1&ip=127.0.0.10']);
    let unplugged = false;
    try {
      const [record] = await runBench({
        devices: [pty.path],
        iterations: 3,
        labels: {},
        listen: '127.0.0.1',
        portBase,
        testDurationS: 1,
        pauseS: 0.3,
        timeouts: { reconnectS: 1 },
        newRunId: ids,
        onProgress: (p) => {
          if (!unplugged && p.phase === 'testing') {
            unplugged = true;
            void pty.unplug();
          }
        },
      });
      expect(record!.status).toBe('failed');
      expect(record!.error).toMatch(new RegExp(`serial port ${pty.path} disconnected: serial port ${pty.path} did not come back within 1 s`));
      expect(record!.results.filter((r) => r.iteration === 1)).toHaveLength(3);
      expect(record!.results.some((r) => r.failure?.kind === 'port-disconnected')).toBe(true);
    } finally {
      await pty.close();
    }
  }, 30_000);
});
