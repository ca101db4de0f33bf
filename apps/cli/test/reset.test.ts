import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunRecord } from '@espbench/schema';
import { ptyForCommand } from '@espbench/tools/testing';
import { findFreePortBase } from '@espbench/traffic';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const NET = ['--listen', '127.0.0.1', '--port-base', '0'];
const SIM = 'sim:esp32c3?rate=1000000&duration=1&pause=0.3&boot=0.1';
const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/wifi-bench-sim/main'));
const IDF_LOG = fileURLToPath(new URL('../../../firmware-fixtures/transcripts/esp-idf-ble-throughput-client.log', import.meta.url));
const results = () => mkdtempSync(join(tmpdir(), 'espbench-reset-'));
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('espbench: warning: '));

describe('espbench run --reset where the line cannot reset the board', () => {
  it('sim: one warning line, then the run goes on as without --reset', async () => {
    const r = await espbench(['run', '--reset', '-d', SIM, '--json', '--results', results(), ...NET]);
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([`espbench: warning: ${SIM} was not reset: sim: devices have no DTR/RTS lines to reset the board with; attaching to the board as it runs`]);
    const record = parseRunRecord(JSON.parse(r.stdout));
    expect(record.status).toBe('ok');
    expect(record.device).toMatchObject({ uri: SIM, chip: 'esp32c3', serialNumber: null, mac: null });
  });

  it('a pty (socat, a simulated board behind it): the warning says why, the board is measured as it runs', async () => {
    const portBase = await findFreePortBase('127.0.0.1');
    const pty = await ptyForCommand(process.execPath, [simMain, '--host', '127.0.0.1', '--port-base', String(portBase), 'sim:esp32c3?rate=500000&duration=1&pause=0.3&boot=0.1&ip=127.0.0.41']);
    try {
      const r = await espbench(['run', '--reset', '-d', pty.path, '--json', '--results', results(), '--listen', '127.0.0.1', '--port-base', String(portBase), '--duration', '1', '--pause', '0.3'], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(warnings(r.stderr)).toEqual([`espbench: warning: ${pty.path} was not reset: ${pty.path} is a pseudo terminal, which has no DTR/RTS lines to reset the board with; attaching to the board as it runs`]);
      // Not reset, so its boot (and chip) went by before the run opened the pty.
      expect(parseRunRecord(JSON.parse(r.stdout)).device).toMatchObject({ uri: pty.path, chip: null, ip: '127.0.0.41', serialNumber: null });
    } finally {
      await pty.close();
    }
  });

  it('exec: with --idf-ble', async () => {
    const r = await espbench(['run', '--reset', '-d', `exec:cat '${IDF_LOG}'`, '--idf-ble', '--duration', '10', '--json', '--results', results()]);
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toEqual([expect.stringMatching(/^espbench: warning: exec:cat .* was not reset: exec: devices have no DTR\/RTS lines to reset the board with; reading the board as it runs$/)]);
  });

  it('protocol-v1 firmware: the warning, and the board MAC from its hello in the record', async () => {
    const r = await espbench(['run', '--reset', '-d', 'sim:esp32c6?fw=v1&rate=500000&ip=127.0.0.42', '-s', 'wifi-tcp-upload', '--duration', '1', '--json', '--results', results(), ...NET], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r.stderr)).toHaveLength(1);
    const record = parseRunRecord(JSON.parse(r.stdout));
    expect(record.device.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(record.device.mac).toBe(record.firmware?.mac);
  });
});
