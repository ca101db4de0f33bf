import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESPFLASH_STANDIN, ESPFLASH_STANDIN_DIR, buildTestElf } from '@espbench/firmware-fixtures/espflash';
import { parseRunRecord } from '@espbench/schema';
import { ptyForCommand } from '@espbench/tools/testing';
import { findFreePortBase } from '@espbench/traffic';
import { describe, expect, it } from 'vitest';
import { espbench } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'espbench-cli-flash-'));
const c3Elf = join(dir, 'embassy_wifi_bench');
writeFileSync(c3Elf, buildTestElf({ chip: 'esp32c3', size: 60_000 }));
const c6Elf = join(dir, 'c6.elf');
writeFileSync(c6Elf, buildTestElf({ chip: 'esp32c6' }));
/** The stand-in never opens the port; it only has to exist (espflash canonicalizes the path). */
const port = join(dir, 'ttyACM0');
writeFileSync(port, '');
const simMain = fileURLToPath(import.meta.resolve('@espbench/firmware-fixtures/wifi-bench-sim/main'));

/** A PATH with node and the system tools, and no espflash. */
const BARE_PATH = [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);
/** The stand-in first on PATH, flashing quickly but with a visible bar. */
const standin = (settings: Record<string, string> = {}) => ({ PATH: `${ESPFLASH_STANDIN_DIR}${delimiter}${BARE_PATH}`, ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '10', ESPBENCH_FAKE_ESPFLASH_BLOCKS: '20', ...settings });

/** espbench runs espflash on a pseudo-terminal (util-linux `script`) to get its progress bars. */
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

const oneLine = (stderr: string) => {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  return stderr.trimEnd();
};

describe('espbench run --flash', () => {
  it('flashes a pty-backed board with espflash, showing its progress, then measures it', async () => {
    const portBase = await findFreePortBase('127.0.0.1');
    const pty = await ptyForCommand(process.execPath, [simMain, '--host', '127.0.0.1', '--port-base', String(portBase), 'sim:esp32c3?rate=500000&duration=1&pause=0.3&boot=0.1&ip=127.0.0.31']);
    const log = join(dir, 'argv.log');
    try {
      const results = mkdtempSync(join(tmpdir(), 'espbench-cli-flash-'));
      const r = await espbench(['run', '-d', pty.path, '--flash', c3Elf, '--results', results, '--listen', '127.0.0.1', '--port-base', String(portBase), '--duration', '1', '--pause', '0.3'], {
        env: standin({ ESPBENCH_FAKE_ESPFLASH_LOG: log }),
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stderr.split('\n');
      // Progress on stderr, in sparse lines when it is not a terminal: the board, each quarter of the app.
      expect(lines[0]).toBe(`espbench: flashing embassy_wifi_bench (ELF, esp32c3) to ${pty.path} with espflash 4.5.0`);
      expect(lines).toContain(`  ${pty.path}: connecting`);
      expect(lines).toContain(`  ${pty.path}: esp32c3 (revision v0.4)`);
      if (hasScript) expect(lines.filter((l) => l.includes(': 0x10000 '))).toEqual([25, 50, 75, 100].map((p) => `  ${pty.path}: 0x10000 ${p}%`));
      const flashedAt = lines.findIndex((l) => new RegExp(`^  ${pty.path}: flashed esp32c3 in \\d+\\.\\d s$`).test(l));
      const measuringAt = lines.findIndex((l) => l.startsWith('espbench: measuring'));
      expect(flashedAt).toBeGreaterThan(0);
      expect(measuringAt).toBeGreaterThan(flashedAt);
      expect(r.stdout).toMatch(/wifi-tcp-upload\s+ok/);
      const calls = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { argv?: string[] })
        .filter((c) => c.argv && c.argv[0] !== '--version');
      expect(calls.map((c) => c.argv)).toEqual([['flash', '--port', pty.path, '--chip', 'esp32c3', '--non-interactive', '--skip-update-check', c3Elf]]);
      const [summary] = JSON.parse((await espbench(['runs', '--json', '--results', results])).stdout) as { runId: string }[];
      const record = parseRunRecord(JSON.parse((await espbench(['show', summary!.runId, '--json', '--results', results])).stdout));
      expect(record.status).toBe('ok');
      // The simulated board booted before the run opened the pty (a real one is reset by espflash).
      expect(record.device).toMatchObject({ uri: pty.path, ip: '127.0.0.31' });
      // Tagged with what the image says it is (its app descriptor), as `espbench inspect` shows it.
      const inspected = JSON.parse((await espbench(['inspect', c3Elf, '--json'])).stdout) as { projectName: string; version: string; buildDate: string; buildTime: string; fileSha256: string };
      expect(record.labels).toMatchObject({ project: inspected.projectName, ref: inspected.version, elf_sha256: inspected.fileSha256 });
      expect(inspected.projectName).toBe('espbench-test');
      // The test image has no build time: no empty `build` label.
      expect(inspected.buildDate).toBe('');
      expect(record.labels).not.toHaveProperty('build');
    } finally {
      await pty.close();
    }
  }, 90_000);

  it('without espflash: exit 2 and one line that says how to install it', async () => {
    const r = await espbench(['run', '-d', port, '--flash', c3Elf], { env: { PATH: BARE_PATH } });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(
      'espbench: espflash not found on PATH: install it with `cargo install espflash --locked` (or `cargo binstall espflash`, or a release binary from https://github.com/esp-rs/espflash/releases), or give its path with --espflash <path>',
    );
    const wrong = await espbench(['run', '-d', port, '--flash', c3Elf, '--espflash', join(dir, 'bin', 'espflash')], { env: { PATH: BARE_PATH } });
    expect(wrong.code).toBe(2);
    expect(oneLine(wrong.stderr)).toMatch(/^espbench: espflash not found at .*\/bin\/espflash \(or not executable\): give the path of an espflash binary, or install it with `cargo install espflash --locked`/);
  }, 60_000);

  it('an image for another chip than the board: exit 2, one line, nothing measured', async () => {
    const results = mkdtempSync(join(tmpdir(), 'espbench-cli-flash-'));
    // --espflash with a path: no espflash on PATH is needed.
    const r = await espbench(['run', '-d', port, '--flash', c6Elf, '--espflash', ESPFLASH_STANDIN, '--results', results], { env: { PATH: BARE_PATH, ESPBENCH_FAKE_ESPFLASH_CHIP: 'esp32c3' } });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`espbench: c6.elf is built for esp32c6 but the board on ${port} is esp32c3: flash an esp32c3 build of the firmware, or connect the esp32c6 board`);
    expect(r.stdout).toBe('');
    expect(JSON.parse((await espbench(['runs', '--json', '--results', results])).stdout)).toEqual([]);
  }, 60_000);

  it('a failed flash exits 1 with the reason and the fix; --quiet leaves only that line', async () => {
    const write = await espbench(['run', '-d', port, '--flash', c3Elf], { env: standin({ ESPBENCH_FAKE_ESPFLASH_FAIL: 'write' }) });
    expect(write.code).toBe(1);
    if (hasScript) expect(write.stderr).toContain(`  ${port}: 0x10000 25%\n`);
    expect(write.stderr.trimEnd().split('\n').at(-1)).toBe(
      `espbench: flashing ${port} failed: Communication error while flashing device: Timeout while running FlashDeflData command; check the USB cable and port (a hub or a long cable often causes this) and try again`,
    );
    const connect = await espbench(['run', '-q', '-d', port, '--flash', c3Elf], { env: standin({ ESPBENCH_FAKE_ESPFLASH_FAIL: 'connect' }) });
    expect(connect.code).toBe(1);
    expect(oneLine(connect.stderr)).toBe(
      `espbench: espflash could not connect to the board on ${port}: Error while connecting to device: Failed to connect to the device; ensure that the device is connected and the reset and boot pins are not being held down`,
    );
    const json = await espbench(['run', '--json', '-d', port, '--flash', c3Elf], { env: standin({ ESPBENCH_FAKE_ESPFLASH_FAIL: 'verify' }) });
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    expect(oneLine(json.stderr)).toMatch(/^espbench: flashing .* failed: Verification of flash content failed; /);
  }, 60_000);

  it('Ctrl-C while flashing stops espflash and exits 130 without measuring', async () => {
    const log = join(dir, 'argv-int.log');
    let sent = false;
    const r = await espbench(['run', '-d', port, '--flash', c3Elf], {
      env: standin({ ESPBENCH_FAKE_ESPFLASH_BLOCKS: '500', ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '100', ESPBENCH_FAKE_ESPFLASH_LOG: log }),
      onStderr: (text, kill) => {
        if (!sent && text.includes('esp32c3 (revision')) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('espbench: interrupted while flashing: flash the board again before measuring it');
    expect(r.stderr).not.toContain('espbench: measuring');
    const { pid } = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { argv?: string[]; pid: number })
      .find((c) => c.argv?.[0] === 'flash')!;
    let gone = false;
    try {
      process.kill(pid, 0);
      gone = /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      gone = true;
    }
    expect(gone).toBe(true);
  }, 60_000);

  it('refuses devices with nothing to flash, a missing image and --espflash alone: exit 2', async () => {
    const sim = await espbench(['run', '-d', 'sim:esp32c3', '--flash', c3Elf], { env: standin() });
    expect(sim.code).toBe(2);
    expect(oneLine(sim.stderr)).toBe("espbench: --flash writes to serial boards, and sim:esp32c3 is not one (sim: devices have nothing to flash): drop --flash, or give the board's serial port, e.g. /dev/ttyACM0");
    const exec = await espbench(['run', '-d', port, '-d', 'exec:cat x.log', '--flash', c3Elf], { env: standin() });
    expect(exec.code).toBe(2);
    expect(oneLine(exec.stderr)).toContain('exec:cat x.log is not one (exec: devices have nothing to flash)');
    const missing = await espbench(['run', '-d', port, '--flash', join(dir, 'nope.elf')], { env: standin() });
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toBe(`espbench: cannot flash ${join(dir, 'nope.elf')}: no such file; give the ELF your build produced (target/<triple>/release/<name>) or a .bin from espflash save-image`);
    const alone = await espbench(['run', '-d', port, '--espflash', ESPFLASH_STANDIN], { env: standin() });
    expect(alone.code).toBe(2);
    expect(oneLine(alone.stderr)).toBe('espbench: --espflash is the espflash that --flash runs: add --flash <image>');
  }, 60_000);
});
