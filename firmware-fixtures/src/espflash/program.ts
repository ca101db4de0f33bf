// The stand-in's behaviour: what espflash prints and how it exits for `flash`, `write-bin` and
// `board-info`, with the board chosen by environment variables instead of found on a serial port.
// Sources (esp-rs/espflash, 4.5.0 and 3.3.0): espflash/src/bin/espflash.rs (`flash`), espflash/src/cli/mod.rs
// (`connect`, `print_board_info`, `EspflashProgress`, `write_bin`, `ensure_chip_compatibility`,
// `display_image_size`), espflash/src/cli/serial.rs (port lookup), espflash/src/flasher/mod.rs
// (`Flasher::try_connect`, `write_bin_to_flash`), espflash/src/error.rs (messages, codes and help texts),
// espflash/src/lib.rs (env_logger set-up). No upstream code is copied.

import { appendFileSync, readFileSync, realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClapError, parseArgs, parseU32, type ParsedArgs } from './args.js';
import { compareVersions, standinChip, type StandinChip } from './chips.js';
import { ElfError, readElf, type ElfFacts } from './images.js';

export const DEFAULT_VERSION = '4.5.0';
export const DEFAULT_CHIP = 'esp32c3';
export const FAILURES = ['connect', 'port', 'busy', 'write', 'verify'] as const;
export type Failure = (typeof FAILURES)[number];

export interface Io {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  argv0?: string;
}

/** Settings tests choose with ESPBENCH_FAKE_ESPFLASH_* variables. */
export interface StandinSettings {
  version: string;
  chip: StandinChip;
  revision: string;
  fail?: Failure;
  blockMs: number;
  connectMs: number;
  /** Blocks of the app segment; default from the file size. */
  blocks?: number;
  log?: string;
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function readSettings(env: NodeJS.ProcessEnv): StandinSettings {
  const chipName = env.ESPBENCH_FAKE_ESPFLASH_CHIP || DEFAULT_CHIP;
  const chip = standinChip(chipName);
  if (!chip) throw new Error(`ESPBENCH_FAKE_ESPFLASH_CHIP=${chipName} is not a chip espflash knows`);
  const fail = env.ESPBENCH_FAKE_ESPFLASH_FAIL || undefined;
  if (fail && !(FAILURES as readonly string[]).includes(fail)) throw new Error(`ESPBENCH_FAKE_ESPFLASH_FAIL=${fail} is not one of ${FAILURES.join(', ')}`);
  const version = env.ESPBENCH_FAKE_ESPFLASH_VERSION || DEFAULT_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`ESPBENCH_FAKE_ESPFLASH_VERSION=${version} is not major.minor.patch`);
  const num = (name: string, dflt: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw} is not a number >= 0`);
    return n;
  };
  const blocks = num('ESPBENCH_FAKE_ESPFLASH_BLOCKS', 0);
  return {
    version,
    chip,
    revision: env.ESPBENCH_FAKE_ESPFLASH_REVISION || chip.revision,
    ...(fail ? { fail: fail as Failure } : {}),
    blockMs: num('ESPBENCH_FAKE_ESPFLASH_BLOCK_MS', 2),
    connectMs: num('ESPBENCH_FAKE_ESPFLASH_CONNECT_MS', 50),
    ...(blocks ? { blocks: Math.ceil(blocks) } : {}),
    ...(env.ESPBENCH_FAKE_ESPFLASH_LOG ? { log: env.ESPBENCH_FAKE_ESPFLASH_LOG } : {}),
  };
}

const ansi = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

class Console {
  private barOpen = false;
  constructor(private readonly io: Io) {}

  get tty(): boolean {
    return Boolean(this.io.stderr.isTTY);
  }

  out(line: string): void {
    this.closeBar();
    this.io.stdout.write(`${line}\n`);
  }

  /** env_logger's default format with `format_target(false)`: `[<UTC time>Z INFO ] message`. */
  log(level: 'INFO' | 'WARN', message: string): void {
    this.closeBar();
    const ts = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const lvl = ansi(this.tty, level === 'INFO' ? '32' : '33', level.padEnd(5));
    this.io.stderr.write(`${ansi(this.tty, '2', '[')}${ts} ${lvl}${ansi(this.tty, '2', ']')} ${message}\n`);
  }

  /**
   * `main() -> miette::Result<()>` returning an error: `Error: ` and miette's graphical report on
   * stderr (unicode on a terminal, ASCII otherwise), then exit code 1.
   */
  fail(report: { code?: string; message: string; causes?: string[]; help?: string }): never {
    this.closeBar();
    const u = this.tty;
    const lines: string[] = [];
    const head = `  ${ansi(u, '31', u ? '×' : 'x')} ${report.message}`;
    if (report.code) lines.push(`Error: ${ansi(u, '31', report.code)}`, '', head);
    else lines.push(`Error: ${head}`);
    const causes = report.causes ?? [];
    causes.forEach((c, i) => {
      const last = i === causes.length - 1;
      lines.push(`  ${ansi(u, '33', u ? (last ? '╰─▶' : '├─▶') : last ? '`->' : '|->')} ${c}`);
    });
    if (report.help) lines.push(`  ${ansi(u, '36', 'help:')} ${report.help}`);
    this.io.stderr.write(`${lines.join('\n')}\n`);
    throw new Exit(1);
  }

  /** indicatif's bar, drawn only when stderr is a terminal, as indicatif hides it otherwise. */
  bar(started: number, pos: number, len: number, msg: string): void {
    if (!this.tty) return;
    const secs = Math.floor((Date.now() - started) / 1000);
    const elapsed = [Math.floor(secs / 3600), Math.floor(secs / 60) % 60, secs % 60].map((n) => String(n).padStart(2, '0')).join(':');
    const filled = Math.floor((pos / len) * 40);
    const bar = filled >= 40 ? '='.repeat(40) : `${'='.repeat(filled)}>${' '.repeat(39 - filled)}`;
    this.io.stderr.write(`\r\x1b[2K[${elapsed}] [${bar}] ${String(pos).padStart(7)}/${String(len).padEnd(7)} ${msg}`);
    this.barOpen = true;
  }

  closeBar(): void {
    if (this.barOpen) this.io.stderr.write('\n');
    this.barOpen = false;
  }
}

const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;
const humanCount = (n: number) => n.toLocaleString('en-US');

/** Runs the stand-in; resolves with the exit code. */
export async function runEspflash(argv: readonly string[], io: Io): Promise<number> {
  let settings: StandinSettings;
  try {
    settings = readSettings(io.env);
  } catch (err) {
    io.stderr.write(`espflash (espbench stand-in): ${(err as Error).message}\n`);
    return 2;
  }
  if (settings.log) {
    const entry = { argv, pid: process.pid, cwd: process.cwd(), tty: { stdout: Boolean(io.stdout.isTTY), stderr: Boolean(io.stderr.isTTY) }, env: { ESPFLASH_SKIP_UPDATE_CHECK: io.env.ESPFLASH_SKIP_UPDATE_CHECK ?? null, ESPFLASH_PORT: io.env.ESPFLASH_PORT ?? null } };
    appendFileSync(settings.log, `${JSON.stringify(entry)}\n`);
  }
  const con = new Console(io);
  try {
    const parsed = parseArgs(argv, settings.version, io.env);
    if (parsed.kind === 'version') {
      io.stdout.write(`espflash ${settings.version}\n`);
      return 0;
    }
    if (parsed.kind === 'help') {
      io.stdout.write(`${parsed.text}\n`);
      return 0;
    }
    if (parsed.kind === 'unsupported') {
      io.stderr.write(`espflash (espbench stand-in): '${parsed.command}' is not simulated; the stand-in plays flash, write-bin and board-info\n`);
      return 2;
    }
    if (settings.log) appendFileSync(settings.log, `${JSON.stringify({ updateCheck: !parsed.skipUpdateCheck })}\n`);
    await run(parsed, settings, con, io);
    return 0;
  } catch (err) {
    if (err instanceof ClapError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof Exit) return err.code;
    throw err;
  }
}

function ioReport(con: Console, err: unknown, wrap?: string): never {
  const e = err as NodeJS.ErrnoException;
  const text = e.code === 'ENOENT' ? 'No such file or directory (os error 2)' : e.code === 'EACCES' ? 'Permission denied (os error 13)' : e.code === 'EISDIR' ? 'Is a directory (os error 21)' : String(e.message);
  if (wrap) con.fail({ message: wrap, causes: [text] });
  con.fail({ message: text });
}

async function run(args: ParsedArgs, s: StandinSettings, con: Console, io: Io): Promise<void> {
  const v4 = compareVersions(s.version, '4.0.0') >= 0;
  const opt = (name: string) => args.options.get(name);
  let fileData: Buffer | undefined;
  // write-bin reads its file before connecting (4.x); 3.x after printing the board info.
  if (args.command === 'write-bin' && v4) {
    try {
      fileData = readFileSync(args.positionals[1]!);
    } catch (err) {
      ioReport(con, err);
    }
  }

  // --- cli::connect / serial::serial_port_info
  const port = (opt('port') as string | undefined) ?? io.env.ESPFLASH_PORT;
  if (!port) {
    con.fail({ code: 'espflash::no_serial', message: 'No serial ports could be detected', help: 'Make sure you have connected a device to the host system. If the device is connected but not listed, try using the `--list-all-ports` flag.' });
  }
  let portName: string;
  try {
    portName = realpathSync(port);
  } catch (err) {
    // fs::canonicalize(port)? turns into Error::Connection(io::Error)
    ioReport(con, err, 'Error while connecting to device');
  }
  if (s.fail === 'port') {
    con.fail({ code: 'espflash::serial_not_found', message: `The serial port '${portName}' could not be found`, help: 'Make sure the correct device is connected to the host system' });
  }
  con.log('INFO', `Serial port: '${portName}'`);
  con.log('INFO', 'Connecting...');
  await sleep(s.connectMs);
  if (s.fail === 'busy') {
    con.fail({ message: `Failed to open serial port ${portName}`, causes: ['Error while connecting to device', 'Device or resource busy'] });
  }
  if (s.fail === 'connect') {
    con.fail({ code: 'espflash::connection_failed', message: 'Error while connecting to device', causes: ['Failed to connect to the device'], help: 'Ensure that the device is connected and the reset and boot pins are not being held down' });
  }
  const chipArg = opt('chip') as string | undefined;
  if (chipArg && chipArg !== s.chip.name) {
    if (v4) {
      con.fail({ code: 'espflash::chip_mismatch', message: `Chip provided with \`-c/--chip\` (${chipArg}) does not match the detected chip (${s.chip.name})`, help: 'Ensure that the correct chip is selected, or remove the `-c/--chip` option to autodetect the chip' });
    }
    con.fail({ code: 'espflash::chip_missmatch', message: `Chip provided (${chipArg}) with \`-c/--chip\` does not match the detected chip (${s.chip.name})`, help: 'Ensure that the correct chip is selected, or remove the `-c/--chip` option to autodetect the chip' });
  }
  if (!opt('no-stub')) con.log('INFO', 'Using flash stub');
  const baud = opt('baud') ?? io.env.ESPFLASH_BAUD;
  if (typeof baud === 'string' && Number(baud) > 115_200) con.log('WARN', 'Setting baud rate higher than 115,200 can cause issues');

  const boardInfo = () => {
    con.out(`Chip type:         ${s.chip.name} (revision v${s.revision})`);
    con.out('Crystal frequency: 40 MHz');
    con.out('Flash size:        4MB');
    con.out(`Features:          ${s.chip.features.join(', ')}`);
    con.out(`MAC address:       ${s.chip.mac}`);
  };

  if (args.command === 'board-info') {
    boardInfo();
    if (s.chip.name === 'esp32') con.out('Security features: None');
    else {
      con.out('\nSecurity Information:\n=====================');
      con.out('Flags: 0x00000000 (0)\nKey Purposes: [0, 0, 0, 0, 0, 0, 12]');
      con.out(`Chip ID: ${s.chip.id}\nAPI Version: 0\nSecure Boot: Disabled\nFlash Encryption: Disabled\nSPI Boot Crypt Count (SPI_BOOT_CRYPT_CNT): 0x0`);
    }
    return;
  }

  if (args.command === 'write-bin') {
    if (!fileData) {
      boardInfo();
      try {
        fileData = readFileSync(args.positionals[1]!);
      } catch (err) {
        ioReport(con, err);
      }
    } else boardInfo();
    const address = parseU32(args.positionals[0]!)!;
    const padded = Math.ceil(fileData.length / 4) * 4;
    await writeSegment(con, s, address, s.blocks ?? Math.max(4, Math.ceil(padded / 4096)), !opt('no-verify'), true);
    con.log('INFO', 'Binary successfully written to flash!');
    if (opt('monitor')) await monitor(con);
    return;
  }

  // --- flash: read the ELF after connecting, check it, print the board, check the chip, write.
  const image = args.positionals[0]!;
  let elf: Buffer;
  try {
    elf = readFileSync(image);
  } catch (err) {
    ioReport(con, err);
  }
  let facts: ElfFacts;
  try {
    facts = readElf(elf);
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
    if (v4) con.fail({ message: err.message });
    con.fail({ code: 'espflash::invalid_elf', message: 'Supplied ELF image is not valid', causes: [err.message], help: 'Try running `cargo clean` and rebuilding the image' });
  }
  if (v4 && opt('ignore-app-descriptor') === undefined && !facts.hasAppDesc) {
    const which = facts.hasMetadata ? 'esp-hal' : 'esp-idf';
    con.fail({
      code: 'espflash::app_desc::app_descriptor_not_present',
      message: `ESP-IDF App Descriptor (https://docs.espressif.com/projects/esp-idf/en/stable/esp32/api-reference/system/app_image_format.html#application-description) missing in your\`${which}\` application.`,
    });
  }
  boardInfo();
  if (v4 && facts.chipName !== undefined && facts.chipName !== s.chip.name) {
    con.fail({
      code: 'espflash::chip_mismatch',
      message: `The firmware was built for ${facts.chipName}, but the detected chip is ${s.chip.name}`,
      help: `Ensure that the device is connected and your host recognizes the serial adapter. (File ${facts.chipName}, detected chip is ${s.chip.name})`,
    });
  }
  const appSize = Math.max(4096, Math.round(elf.length * 0.6));
  con.out(`App/part. size:    ${humanCount(appSize)}/${humanCount(s.chip.appPartSize)} bytes, ${((appSize / s.chip.appPartSize) * 100).toFixed(2)}%`);
  const verify = !opt('no-verify');
  await writeSegment(con, s, s.chip.bootAddress, 2, verify, false);
  await writeSegment(con, s, 0x8000, 1, verify, false);
  await writeSegment(con, s, 0x1_0000, s.blocks ?? Math.max(10, Math.ceil(appSize / 4096)), verify, true);
  con.log('INFO', 'Flashing has completed!');
  if (opt('monitor')) await monitor(con);
}

/** One flash segment: FlashDeflBegin, one FlashDeflData per block with the bar, then the MD5 check. */
async function writeSegment(con: Console, s: StandinSettings, address: number, blocks: number, verify: boolean, isApp: boolean): Promise<void> {
  const started = Date.now();
  const msg = hex(address).padEnd(8);
  let drawn = 0;
  con.bar(started, 0, blocks, msg);
  for (let i = 1; i <= blocks; i++) {
    await sleep(s.blockMs);
    if (isApp && s.fail === 'write' && i >= Math.max(1, Math.floor(blocks * 0.4))) {
      con.bar(started, i - 1, blocks, msg);
      con.fail({ code: 'espflash::timeout', message: 'Communication error while flashing device', causes: ['Timeout while running FlashDeflData command'] });
    }
    // indicatif redraws at most 20 times a second
    if (i === blocks || Date.now() - drawn >= 50) {
      drawn = Date.now();
      con.bar(started, i, blocks, msg);
    }
  }
  if (verify) {
    con.bar(started, blocks, blocks, `${msg} Verifying...`);
    await sleep(s.blockMs);
    if (isApp && s.fail === 'verify') con.fail({ code: 'espflash::verify_failed', message: 'Verification of flash content failed' });
    con.bar(started, blocks, blocks, `${msg} Verifying... ${ansi(con.tty, '32', 'OK!')}`);
  }
  con.closeBar();
}

/** `--monitor`: the stand-in has no board output to show; it waits to be stopped like the real monitor. */
async function monitor(con: Console): Promise<void> {
  con.out('Commands:\n    CTRL+R    Reset chip\n    CTRL+C    Exit\n');
  await new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}
