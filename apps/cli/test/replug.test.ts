import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunRecord } from '@espbench/schema';
import { replugablePty } from '@espbench/tools/testing';
import { findFreePortBase } from '@espbench/traffic';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/wifi-bench-sim/main'));

describe('espbench run: the board is unplugged mid-run and plugged back in', () => {
  it('fails the cut-short round with the reason, reopens the same path and measures the next round', async () => {
    const portBase = await findFreePortBase('127.0.0.1');
    const pty = await replugablePty(process.execPath, [simMain, '--host', '127.0.0.1', '--port-base', String(portBase), 'sim:esp32c6?rate=500000&duration=1.5&pause=0.3&boot=0.1&ip=127.0.0.43']);
    let pulled = false;
    try {
      const results = mkdtempSync(join(tmpdir(), 'espbench-replug-'));
      const r = await espbench(['run', '-d', pty.path, '-n', '2', '--json', '--results', results, '--listen', '127.0.0.1', '--port-base', String(portBase), '--duration', '1.5', '--pause', '0.3'], {
        timeoutMs: 90_000,
        onStderr: (text) => {
          // Round 1's download is done: pull the cable, plug it back a second later.
          if (!pulled && text.includes('[1/2] wifi-tcp-download')) {
            pulled = true;
            void pty.unplug().then(() => setTimeout(() => void pty.plug(), 1000));
          }
        },
      });
      expect(pulled).toBe(true);
      expect(r.code, r.stderr).toBe(1);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('espbench: warning: '));
      expect(warnings).toEqual([
        `espbench: warning: ${pty.path}: serial port ${pty.path} disconnected; waiting up to 120 s for it to come back`,
        `espbench: warning: ${pty.path} is back; going on with round 2 of 2`,
      ]);
      const record = parseRunRecord(JSON.parse(r.stdout));
      expect(record.status).toBe('failed');
      const round1 = record.results.filter((x) => x.iteration === 1);
      expect(round1.map((x) => x.status)).toEqual(['ok', 'failed', 'failed']);
      expect(round1[1]!.failure).toMatchObject({ kind: 'port-disconnected', message: expect.stringContaining(`serial port ${pty.path} disconnected`) });
      expect(record.results.filter((x) => x.iteration === 2).map((x) => [x.scenario, x.status])).toEqual([
        ['wifi-tcp-download', 'ok'],
        ['wifi-tcp-upload', 'ok'],
        ['wifi-tcp-updown', 'ok'],
      ]);
      expect(record.device).toMatchObject({ uri: pty.path, ip: '127.0.0.43' });
      expect(r.stderr).toMatch(new RegExp(`✗ ${pty.path}: 2 of 6 results failed`));
    } finally {
      await pty.close();
    }
  }, 120_000);
});
