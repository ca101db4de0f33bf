import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunRecord } from '@espbench/schema';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const SIM = 'sim:esp32c3?rate=1000000&duration=1&pause=0.3&boot=0.1';

describe('espbench run (end to end)', () => {
  it('--json prints one valid RunRecord and nothing else on stdout, and stores it', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    const r = await espbench(['run', '--device', SIM, '--json', '--results', results, '--listen', '127.0.0.1', '--port-base', '0', '--label', 'ref=v9.9.9']);
    expect(r.code, r.stderr).toBe(0);
    const record = parseRunRecord(JSON.parse(r.stdout));
    expect(record.status).toBe('ok');
    expect(record.labels).toEqual({ ref: 'v9.9.9', firmware: 'esp-hal' });
    expect(record.results.map((x) => x.scenario)).toEqual(['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown']);
    for (const x of record.results) expect(x.hostKiBps).toBeGreaterThan(900);
    expect(existsSync(join(results, `${record.runId}.json`))).toBe(true);
    // The raw serial bytes, as a real board sends them: ROM lines end \r\n, esp-println's bare \n.
    const raw = readFileSync(join(results, `${record.runId}.serial.log`), 'latin1');
    expect(raw).toContain('ESP-ROM:esp32c3-api1-20210207\r\n');
    expect(raw).toContain('\nTesting download...\n');

    const runs = await espbench(['runs', '--json'], { env: { ESPBENCH_RESULTS: results } });
    expect(JSON.parse(runs.stdout)).toMatchObject([{ runId: record.runId, status: 'ok', results: 3, failures: 0 }]);
    const table = await espbench(['runs', '--results', results]);
    expect(table.stdout).toMatch(new RegExp(`^run\\s+started[\\s\\S]*${record.runId}.*esp32c3\\s+ok`, 'm'));

    const show = await espbench(['show', record.runId.slice(0, 17), '--log', '--results', results]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(record.runId);
    expect(show.stdout).toMatch(/wifi-tcp-download\s+ok/);
    expect(show.stdout).toContain('Got IP: 127.0.0.2');
    const showJson = await espbench(['show', record.runId, '--json', '--results', results]);
    expect(parseRunRecord(JSON.parse(showJson.stdout)).runId).toBe(record.runId);
  });

  it('prints a table for humans and exits 1 when a result failed', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    const r = await espbench(['run', '-d', `${SIM}&fault=connect-error@1:upload`, '--results', results, '--listen', '127.0.0.1', '--port-base', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/iter\s+scenario\s+status\s+host KiB\/s\s+Mbit\/s/);
    expect(r.stdout).toMatch(/wifi-tcp-upload\s+failed.*connect error/);
    expect(r.stderr).toMatch(/saved run/);
  });

  it('--quiet still says why a run failed', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    const r = await espbench(['run', '-q', '-d', `${SIM}&fault=connect-error@1:download`, '--results', results, '--listen', '127.0.0.1', '--port-base', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/✗ sim:esp32c3\?rate=1000000&duration=1&pause=0.3&boot=0.1&fault=connect-error@1:download: 1 of 3 results failed.*espbench show \S+/);
  });

  it('Ctrl-C saves the run so far as aborted and exits 130', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-'));
    let sent = false;
    const r = await espbench(['run', '-d', SIM, '-n', '10', '--results', results, '--listen', '127.0.0.1', '--port-base', '0'], {
      onStderr: (text, kill) => {
        if (!sent && /wifi-tcp-upload/.test(text)) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
    const runs = await espbench(['runs', '--json', '--results', results]);
    expect(JSON.parse(runs.stdout)).toMatchObject([{ status: 'aborted' }]);
  });
});
