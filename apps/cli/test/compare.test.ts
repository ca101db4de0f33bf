import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const NET = ['--listen', '127.0.0.1', '--port-base', '0', '--quiet'];
const sim = (rate: number, ip: string) => `sim:esp32c3?rate=${rate}&duration=1&pause=0.3&boot=0.1&ip=${ip}`;

describe('espbench compare and check on simulated refs', () => {
  it('a 10% slower ref is slower (exit 1); the same rate is the same (exit 0); too few is said so', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-cmp-'));
    // Three refs measured at once, four rounds each: two at the same rate, one 10% slower.
    const runs = await Promise.all([
      espbench(['run', '-d', sim(1_000_000, '127.0.0.21'), '-n', '4', '--label', 'ref=v1.0.0', '--results', results, ...NET], { timeoutMs: 90_000 }),
      espbench(['run', '-d', sim(1_000_000, '127.0.0.22'), '-n', '4', '--label', 'ref=v1.0.1', '--results', results, ...NET], { timeoutMs: 90_000 }),
      espbench(['run', '-d', sim(900_000, '127.0.0.23'), '-n', '4', '--label', 'ref=v1.1.0', '--results', results, ...NET], { timeoutMs: 90_000 }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);

    const slower = await espbench(['compare', '--baseline', 'ref=v1.0.0', '--candidate', 'ref=v1.1.0', '--results', results, '--json']);
    expect(slower.code, slower.stderr).toBe(1);
    const s = JSON.parse(slower.stdout);
    expect(s.rows).toHaveLength(3);
    for (const row of s.rows) {
      expect(row.verdict).toBe('slower');
      expect(row.baseline.n).toBe(4);
      expect(row.candidate.n).toBe(4);
      expect(row.deltaPct).toBeGreaterThan(-11);
      expect(row.deltaPct).toBeLessThan(-9);
      expect(row.ci[0]).toBeLessThanOrEqual(row.deltaPct);
      expect(row.ci[1]).toBeGreaterThanOrEqual(row.deltaPct);
      expect(row.p).toBeCloseTo(2 / 70, 10); // four vs four, fully separated: the exact minimum
    }
    // Reproducible: the same command gives the same numbers.
    const again = await espbench(['compare', '--baseline', 'ref=v1.0.0', '--candidate', 'ref=v1.1.0', '--results', results, '--json']);
    expect(JSON.parse(again.stdout)).toEqual(s);

    const same = await espbench(['compare', '-b', 'ref=v1.0.0', '-c', 'ref=v1.0.1', '--results', results]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/^esp32c3\s+wifi-tcp-download\s+4\/4\s+0\/0\s.*\ssame$/m);
    expect(same.stdout).not.toMatch(/^esp32c3.*\s(slower|faster)$/m);

    const table = await espbench(['compare', '-b', 'ref=v1.0.0', '-c', 'ref=v1.1.0', '--results', results, '--scenario', 'wifi-tcp-upload']);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^chip\s+scenario\s+n\s+failed\s+baseline\s+candidate\s+Mbit\/s\s+delta\s+95% CI\s+p\s+verdict$/m);
    expect(table.stdout).toMatch(/^esp32c3\s+wifi-tcp-upload\s+4\/4\s+0\/0\s.*-10\.\d%.*slower$/m);
    expect(table.stdout).not.toContain('\x1b['); // no colour off a TTY

    const nothing = await espbench(['compare', '-b', 'ref=v0', '-c', 'ref=v1.1.0', '--results', results]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr.trim()).toBe(`espbench: no results in the store ${results} match --baseline ref=v0`);

    // A nightly against its history: too short a history is said so, and is not a failure.
    const check = await espbench(['check', '--ref', 'v1.1.0', '--results', results, '--json']);
    expect(check.code, check.stderr).toBe(0);
    const rows = JSON.parse(check.stdout).rows;
    expect(rows).toHaveLength(3);
    // The three runs started together: which of them count as earlier depends on start order.
    for (const row of rows) {
      expect(row).toMatchObject({ verdict: 'not enough data', runs: { candidate: 1 } });
      expect(row.runs.history).toBeLessThanOrEqual(2);
      expect(row.reason).toMatch(/^needs at least 5 earlier runs/);
    }
  }, 120_000);
});
