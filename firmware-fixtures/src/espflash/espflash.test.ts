import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClapError, parseArgs } from './args.js';
import { buildAppBin, buildMergedBin, buildTestElf, ElfError, readElf } from './images.js';
import { ESPFLASH_STANDIN, ESPFLASH_STANDIN_DIR } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'espflash-standin-'));
const port = join(dir, 'ttyUSB0');
writeFileSync(port, '');
const file = (name: string, data: Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const c3Elf = file('c3.elf', buildTestElf({ chip: 'esp32c3' }));
const c6Elf = file('c6.elf', buildTestElf({ chip: 'esp32c6' }));
const noDescElf = file('nodesc.elf', buildTestElf({ chip: 'esp32c3', appDesc: false }));
const c3Bin = file('c3.bin', buildAppBin({ chip: 'esp32c3' }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function espflash(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(ESPFLASH_STANDIN, args, { env: { ...process.env, ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

describe('espflash stand-in: what it prints and how it exits', () => {
  it('lives in a directory that can go first on PATH and reports its version', async () => {
    expect(ESPFLASH_STANDIN).toBe(join(ESPFLASH_STANDIN_DIR, 'espflash'));
    expect(await espflash(['--version'])).toMatchObject({ code: 0, stdout: 'espflash 4.5.0\n' });
    expect((await espflash(['flash', '-V'], { ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' })).stdout).toBe('espflash 3.3.0\n');
  });

  it('flashes an ELF: log lines on stderr, the board on stdout, no bars when stderr is not a terminal, exit 0', async () => {
    const r = await espflash(['flash', '--port', port, '--non-interactive', '--skip-update-check', c3Elf]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO \] Serial port: '.*ttyUSB0'\n/);
    expect(r.stderr).toContain('INFO ] Connecting...\n');
    expect(r.stderr).toContain('INFO ] Using flash stub\n');
    expect(r.stderr).toMatch(/INFO \] Flashing has completed!\n$/);
    expect(r.stderr).not.toContain('[00:00:');
    expect(r.stdout).toMatch(/^Chip type: {9}esp32c3 \(revision v0\.4\)\nCrystal frequency: 40 MHz\nFlash size: {8}4MB\nFeatures: {10}WiFi, BLE\nMAC address: {7}[0-9a-f:]{17}\nApp\/part\. size: {4}[\d,]+\/4,128,768 bytes, [\d.]+%\n$/);
  });

  it.skipIf(!hasScript)('draws indicatif-style bars per segment on a terminal', async () => {
    const r = spawnSync('script', ['-q', '-e', '-f', '-c', `${ESPFLASH_STANDIN} flash -p ${port} ${c3Elf}`, '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh', ESPBENCH_FAKE_ESPFLASH_BLOCK_MS: '1' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const screen = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(screen).toMatch(/\[00:00:0\d\] \[={40}\] {7}2\/2 {7}0x0 {6}Verifying\.\.\. OK!/);
    expect(screen).toMatch(/\[00:00:0\d\] \[={40}\] {7}1\/1 {7}0x8000 {3}Verifying\.\.\. OK!/);
    expect(screen).toMatch(/\[00:00:0\d\] \[>\s{39}\] {7}0\/10 {6}0x10000/);
    expect(screen).toContain('Flashing has completed!');
  });

  it('refuses an ELF built for another chip (4.x), after printing the board', async () => {
    const r = await espflash(['flash', '-p', port, c6Elf]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Chip type:         esp32c3');
    expect(r.stderr).toContain('Error: espflash::chip_mismatch\n\n  x The firmware was built for esp32c6, but the detected chip is esp32c3\n  help: Ensure that the device is connected');
    // 3.x has no such check: it writes the image.
    expect((await espflash(['flash', '-p', port, c6Elf], { ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' })).code).toBe(0);
  });

  it('refuses a board other than --chip, with the wording of each major version', async () => {
    const v4 = await espflash(['flash', '-p', port, '-c', 'esp32s3', c3Elf]);
    expect(v4.code).toBe(1);
    expect(v4.stdout).toBe('');
    expect(v4.stderr).toContain('Error: espflash::chip_mismatch\n\n  x Chip provided with `-c/--chip` (esp32s3) does not match the detected chip (esp32c3)\n');
    const v3 = await espflash(['write-bin', '-p', port, '--chip=esp32s3', '0x10000', c3Bin], { ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' });
    expect(v3.code).toBe(1);
    expect(v3.stderr).toContain('Error: espflash::chip_missmatch\n\n  x Chip provided (esp32s3) with `-c/--chip` does not match the detected chip (esp32c3)\n');
    const board = await espflash(['write-bin', '-p', port, '-c', 'esp32s3', '0x10000', c3Bin], { ESPBENCH_FAKE_ESPFLASH_CHIP: 'esp32s3' });
    expect(board.code, board.stderr).toBe(0);
    expect(board.stderr).toContain('Binary successfully written to flash!');
  });

  it.each([
    [['flash', '-p', port, '--bogus', c3Elf], "error: unexpected argument '--bogus' found\n\nUsage: espflash flash [OPTIONS] <IMAGE>\n\nFor more information, try '--help'.\n"],
    [['flash', '-p', port], 'error: the following required arguments were not provided:\n  <IMAGE>\n'],
    [['flash', '--chip', 'esp8266', '-p', port, c3Elf], "error: invalid value 'esp8266' for '--chip <CHIP>'\n  [possible values: esp32, esp32c2, esp32c3,"],
    [['flash', '--port'], "error: a value is required for '--port <PORT>' but none was supplied\n"],
    [['flash', '-p', port, '-p', port, c3Elf], "error: the argument '--port <PORT>' cannot be used multiple times\n"],
    [['write-bin', '-p', port, '0x1zz', c3Bin], "error: invalid value '0x1zz' for '<ADDRESS>': invalid digit found in string\n"],
    [['frobnicate'], "error: unrecognized subcommand 'frobnicate'\n"],
  ])('clap refuses %j with exit code 2', async (args, message) => {
    const r = await espflash(args);
    expect(r.code).toBe(2);
    expect(r.stderr.startsWith(message)).toBe(true);
  });

  it('3.x knows neither --non-interactive (4.0) nor, before 3.2, --skip-update-check', async () => {
    const r = await espflash(['flash', '-p', port, '--non-interactive', c3Elf], { ESPBENCH_FAKE_ESPFLASH_VERSION: '3.3.0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unexpected argument '--non-interactive' found");
    const old = await espflash(['flash', '-p', port, '-S', c3Elf], { ESPBENCH_FAKE_ESPFLASH_VERSION: '3.1.1' });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain("unexpected argument '-S' found");
  });

  it.each([
    ['connect', 'Error: espflash::connection_failed\n\n  x Error while connecting to device\n  `-> Failed to connect to the device\n  help: Ensure that the device is connected and the reset and boot pins are not being held down\n'],
    ['port', "Error: espflash::serial_not_found\n\n  x The serial port '"],
    ['busy', 'Error:   x Failed to open serial port '],
    ['write', 'Error: espflash::timeout\n\n  x Communication error while flashing device\n  `-> Timeout while running FlashDeflData command\n'],
    ['verify', 'Error: espflash::verify_failed\n\n  x Verification of flash content failed\n'],
  ])('ESPBENCH_FAKE_ESPFLASH_FAIL=%s fails like espflash, exit code 1', async (fail, report) => {
    const r = await espflash(['flash', '-p', port, c3Elf], { ESPBENCH_FAKE_ESPFLASH_FAIL: fail });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(report);
    expect(r.stderr).not.toContain('Flashing has completed!');
  });

  it('says what is wrong with the image and the port as espflash does', async () => {
    const noDesc = await espflash(['flash', '-p', port, noDescElf]);
    expect(noDesc.code).toBe(1);
    expect(noDesc.stderr).toContain('Error: espflash::app_desc::app_descriptor_not_present\n\n  x ESP-IDF App Descriptor (');
    expect(noDesc.stderr).toContain('missing in your`esp-hal` application.');
    const notElf = await espflash(['flash', '-p', port, c3Bin]);
    expect(notElf.stderr).toContain('Error:   x Unknown file magic\n');
    const missing = await espflash(['flash', '-p', port, join(dir, 'nope.elf')]);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain('Connecting...');
    expect(missing.stderr).toContain('Error:   x No such file or directory (os error 2)\n');
    const noPort = await espflash(['flash', '-p', join(dir, 'ttyNOPE'), c3Elf]);
    expect(noPort.stderr).toBe('Error:   x Error while connecting to device\n  `-> No such file or directory (os error 2)\n');
    const unset = await espflash(['board-info'], { ESPFLASH_PORT: '' });
    expect(unset.stderr).toContain('Error: espflash::no_serial\n');
  });

  it('board-info prints the board and its security information', async () => {
    const r = await espflash(['board-info', '--port', port], { ESPBENCH_FAKE_ESPFLASH_CHIP: 'esp32c6', ESPBENCH_FAKE_ESPFLASH_REVISION: '0.2' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Chip type:         esp32c6 (revision v0.2)\n');
    expect(r.stdout).toContain('Features:          WiFi 6, BT 5\n');
    expect(r.stdout).toContain('Chip ID: 13\n');
  });

  it('records each invocation in ESPBENCH_FAKE_ESPFLASH_LOG', async () => {
    const log = join(dir, 'argv.log');
    await espflash(['write-bin', '-p', port, '0x10000', c3Bin], { ESPBENCH_FAKE_ESPFLASH_LOG: log });
    await espflash(['--skip-update-check', 'write-bin', '-p', port, '0x10000', c3Bin], { ESPBENCH_FAKE_ESPFLASH_LOG: log });
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries[0]).toMatchObject({ argv: ['write-bin', '-p', port, '0x10000', c3Bin], tty: { stdout: false, stderr: false } });
    expect(entries[1]).toEqual({ updateCheck: true });
    expect(entries[3]).toEqual({ updateCheck: false });
  });

  it('rejects a bad ESPBENCH_FAKE_ESPFLASH_* setting on one line', async () => {
    const r = await espflash(['--version'], { ESPBENCH_FAKE_ESPFLASH_CHIP: 'esp8266' });
    expect(r).toMatchObject({ code: 2, stderr: 'espflash (espbench stand-in): ESPBENCH_FAKE_ESPFLASH_CHIP=esp8266 is not a chip espflash knows\n' });
  });
});

describe('images', () => {
  it('test ELFs carry the chip name and app descriptor espflash looks for', () => {
    expect(readElf(buildTestElf({ chip: 'esp32s3' }))).toEqual({ bits: 32, machine: 94, chipName: 'esp32s3', hasMetadata: true, hasAppDesc: true });
    expect(readElf(buildTestElf({ chip: null, arch: 'riscv', appDesc: false, size: 50_000 }))).toEqual({ bits: 32, machine: 243, hasMetadata: false, hasAppDesc: false });
    expect(buildTestElf({ size: 50_000 }).length).toBeGreaterThanOrEqual(49_000);
    expect(() => readElf(Buffer.from('MZ..'))).toThrow(ElfError);
  });

  it('app and merged .bin images have the ESP image header, chip id and partition table where espflash puts them', () => {
    const app = buildAppBin({ chip: 'esp32c6' });
    expect([app[0], app.readUInt16LE(12), app.readUInt32LE(32)]).toEqual([0xe9, 13, 0xabcd5432]);
    const merged = buildMergedBin({ chip: 'esp32' });
    expect([merged[0], merged[0x1000], merged.readUInt16LE(0x100c), merged[0x8000], merged[0x8001], merged[0x10000]]).toEqual([0xff, 0xe9, 0, 0xaa, 0x50, 0xe9]);
  });
});

describe('parseArgs', () => {
  it('takes options in clap\'s spellings', () => {
    const p = parseArgs(['flash', '-p/dev/ttyACM0', '--chip=esp32c3', '-MB', '460800', '--', '-odd.elf'], '4.5.0');
    expect(p).toMatchObject({ kind: 'run', command: 'flash', positionals: ['-odd.elf'] });
    if (p.kind !== 'run') throw new Error('not run');
    expect(Object.fromEntries(p.options)).toEqual({ port: '/dev/ttyACM0', chip: 'esp32c3', monitor: true, baud: '460800' });
    expect(parseArgs(['-S', 'board-info'], '4.5.0')).toMatchObject({ skipUpdateCheck: true });
    expect(parseArgs(['board-info'], '4.5.0', { ESPFLASH_SKIP_UPDATE_CHECK: 'true' })).toMatchObject({ skipUpdateCheck: true });
    expect(parseArgs(['monitor'], '4.5.0')).toEqual({ kind: 'unsupported', command: 'monitor' });
    expect(() => parseArgs(['flash', '--no-stub=1', 'x'], '4.5.0')).toThrow(ClapError);
  });
});
