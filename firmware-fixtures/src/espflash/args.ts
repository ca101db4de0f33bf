// Command-line parsing the way espflash's clap 4 definitions accept it (esp-rs/espflash
// espflash/src/bin/espflash.rs `Cli`, `Commands`, `FlashArgs`; espflash/src/cli/mod.rs `ConnectArgs`,
// `FlashConfigArgs`, `FlashArgs`, `ImageArgs`, `IdfFormatArgs`, `MonitorConfigArgs`, `WriteBinArgs`),
// for the subcommands the stand-in plays: flash, write-bin, board-info. Errors read like clap's and
// exit with clap's code 2.

import { STANDIN_CHIPS, compareVersions } from './chips.js';

export const AFTER_VALUES = ['hard-reset', 'no-reset', 'no-reset-no-stub', 'watchdog-reset'] as const;
export const BEFORE_VALUES = ['default-reset', 'no-reset', 'no-reset-no-sync', 'usb-reset'] as const;

interface OptSpec {
  long: string;
  short?: string;
  /** Value name (`--port <PORT>`); absent for flags. */
  value?: string;
  choices?: readonly string[];
  /** Parsed like clap's u32 (`--baud`) or espflash's parse_u32 (decimal or 0x hex, `_` allowed). */
  number?: 'u32' | 'parse_u32';
  /** First espflash version with the option. */
  since?: string;
}

export type Subcommand = 'flash' | 'write-bin' | 'board-info';

export interface ParsedArgs {
  kind: 'run';
  command: Subcommand;
  /** By long name: a string for options with a value, true for flags. */
  options: Map<string, string | true>;
  positionals: string[];
  skipUpdateCheck: boolean;
}

export type CliOutcome = ParsedArgs | { kind: 'version' } | { kind: 'help'; text: string } | { kind: 'unsupported'; command: string };

/** A clap error: printed to stderr as is, exit code 2. */
export class ClapError extends Error {
  override readonly name = 'ClapError';
}

/** Subcommands the real CLI has that the stand-in does not play. */
const OTHER_COMMANDS = ['checksum-md5', 'completions', 'erase-flash', 'erase-parts', 'erase-region', 'hold-in-reset', 'list-ports', 'monitor', 'partition-table', 'read-flash', 'reset', 'save-image'];

const USAGE: Record<Subcommand, string> = {
  flash: 'Usage: espflash flash [OPTIONS] <IMAGE>',
  'write-bin': 'Usage: espflash write-bin [OPTIONS] <ADDRESS> <FILE>',
  'board-info': 'Usage: espflash board-info [OPTIONS]',
};
const POSITIONALS: Record<Subcommand, string[]> = { flash: ['IMAGE'], 'write-bin': ['ADDRESS', 'FILE'], 'board-info': [] };
const MORE = "For more information, try '--help'.";

function connectArgs(version: string): OptSpec[] {
  const v3 = compareVersions(version, '4.0.0') < 0;
  return [
    { long: 'after', short: 'a', value: 'AFTER', choices: AFTER_VALUES.filter((v) => v !== 'watchdog-reset' || !v3), since: '3.0.0' },
    { long: 'baud', short: 'B', value: 'BAUD', number: 'u32' },
    { long: 'before', short: 'b', value: 'BEFORE', choices: BEFORE_VALUES, since: '3.0.0' },
    { long: 'chip', short: 'c', value: 'CHIP', choices: STANDIN_CHIPS.filter((c) => compareVersions(version, c.since) >= 0).map((c) => c.name), since: '3.0.0' },
    { long: 'confirm-port', ...(v3 ? { short: 'C' } : {}) },
    { long: 'list-all-ports' },
    { long: 'no-stub' },
    { long: 'port', short: 'p', value: 'PORT' },
    // Moved into ConnectArgs in 4.0.0 (esp-rs/espflash#906); 3.x has no such option.
    { long: 'non-interactive', since: '4.0.0' },
  ];
}

const MONITOR_CONFIG: OptSpec[] = [
  { long: 'monitor-baud', short: 'r', value: 'MONITOR_BAUD', number: 'parse_u32' },
  { long: 'elf', value: 'FILE' },
  { long: 'rom-elf', value: 'FILE', since: '4.3.0' },
  { long: 'no-reset' },
  { long: 'log-format', short: 'L', value: 'LOG_FORMAT' },
  { long: 'output-format', short: 'F', value: 'OUTPUT_FORMAT' },
  { long: 'processors', value: 'PROCESSORS' },
  { long: 'no-addresses' },
  { long: 'all-addresses', since: '4.3.0' },
];

function specs(command: Subcommand, version: string): OptSpec[] {
  const connect = connectArgs(version);
  if (command === 'board-info') return connect;
  if (command === 'write-bin') return [...connect, { long: 'monitor', short: 'M' }, ...MONITOR_CONFIG];
  return [
    ...connect,
    { long: 'flash-freq', short: 'f', value: 'FREQ' },
    { long: 'flash-mode', short: 'm', value: 'MODE' },
    { long: 'flash-size', short: 's', value: 'SIZE' },
    { long: 'monitor', short: 'M' },
    ...MONITOR_CONFIG,
    { long: 'ram' },
    { long: 'no-verify' },
    { long: 'no-skip' },
    { long: 'min-chip-rev', value: 'MIN_CHIP_REV' },
    { long: 'mmu-page-size', value: 'MMU_PAGE_SIZE', number: 'parse_u32' },
    { long: 'ignore-app-descriptor' },
    { long: 'erase-parts', value: 'LABELS' },
    { long: 'erase-data-parts', value: 'PARTS' },
    { long: 'format', value: 'FORMAT', choices: ['esp-idf'] },
    { long: 'bootloader', value: 'FILE' },
    { long: 'partition-table', value: 'FILE' },
    { long: 'partition-table-offset', value: 'OFFSET', number: 'parse_u32' },
    { long: 'target-app-partition', value: 'LABEL' },
    { long: 'force', since: '4.5.0' },
  ];
}

/** espflash's parse_u32: decimal, or hexadecimal after 0x/0X; underscores ignored. */
export function parseU32(text: string): number | null {
  const s = text.replace(/_/g, '');
  const hex = s.length > 2 && /^0[xX]/.test(s);
  const digits = hex ? s.slice(2) : s;
  if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) return null;
  const n = Number.parseInt(digits, hex ? 16 : 10);
  return n <= 0xffff_ffff ? n : null;
}

function unexpected(arg: string, usage: string): ClapError {
  return new ClapError(`error: unexpected argument '${arg}' found\n\n${usage}\n\n${MORE}`);
}

function display(spec: OptSpec): string {
  return spec.value ? `--${spec.long} <${spec.value}>` : `--${spec.long}`;
}

function checkValue(spec: OptSpec, value: string): void {
  if (spec.choices && !spec.choices.includes(value)) {
    throw new ClapError(`error: invalid value '${value}' for '${display(spec)}'\n  [possible values: ${spec.choices.join(', ')}]\n\n${MORE}`);
  }
  if (spec.number === 'u32' && !/^\+?[0-9]+$/.test(value)) {
    throw new ClapError(`error: invalid value '${value}' for '${display(spec)}': invalid digit found in string\n\n${MORE}`);
  }
  if (spec.number === 'parse_u32' && parseU32(value) === null) {
    throw new ClapError(`error: invalid value '${value}' for '${display(spec)}': invalid digit found in string\n\n${MORE}`);
  }
}

const HELP = `A command-line tool for interacting with Espressif devices
(espbench's stand-in: plays flash, write-bin and board-info; see firmware-fixtures/README.md)

Usage: espflash [OPTIONS] <COMMAND>

Commands:
  board-info       Print information about a connected target device
  flash            Flash an application in ELF format to a connected target device
  write-bin        Write a binary file to a specific address or partition in a target device's flash
  help             Print this message or the help of the given subcommand(s)

Options:
  -S, --skip-update-check  Do not check for updates [env: ESPFLASH_SKIP_UPDATE_CHECK=]
  -h, --help               Print help
  -V, --version            Print version`;

/** Parses argv (without the program name) as espflash `version` would. */
export function parseArgs(argv: readonly string[], version: string, env: NodeJS.ProcessEnv = {}): CliOutcome {
  const skipFlag = compareVersions(version, '3.2.0') >= 0;
  let skipUpdateCheck = skipFlag && truthyEnv(env.ESPFLASH_SKIP_UPDATE_CHECK);
  let i = 0;
  let command: Subcommand | undefined;
  // Before the subcommand: only global options.
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-V' || a === '--version') return { kind: 'version' };
    if (a === '-h' || a === '--help') return { kind: 'help', text: HELP };
    if (skipFlag && (a === '-S' || a === '--skip-update-check')) {
      skipUpdateCheck = true;
      continue;
    }
    if (a.startsWith('-')) throw unexpected(a, 'Usage: espflash [OPTIONS] <COMMAND>');
    if (a === 'flash' || a === 'write-bin' || a === 'board-info') {
      command = a;
      i++;
      break;
    }
    if (a === 'help') return { kind: 'help', text: HELP };
    if (OTHER_COMMANDS.includes(a)) return { kind: 'unsupported', command: a };
    throw new ClapError(`error: unrecognized subcommand '${a}'\n\nUsage: espflash [OPTIONS] <COMMAND>\n\n${MORE}`);
  }
  if (!command) throw new ClapError(`${HELP.split('\n').slice(2).join('\n')}`);

  const usage = USAGE[command];
  const known = specs(command, version).filter((s) => !s.since || compareVersions(version, s.since) >= 0);
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const set = (spec: OptSpec, value: string | true): void => {
    if (options.has(spec.long)) throw new ClapError(`error: the argument '${display(spec)}' cannot be used multiple times\n\n${usage}\n\n${MORE}`);
    if (typeof value === 'string') checkValue(spec, value);
    options.set(spec.long, value);
  };
  const needValue = (spec: OptSpec): never => {
    throw new ClapError(`error: a value is required for '${display(spec)}' but none was supplied\n\n${MORE}`);
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-V' || a === '--version') return { kind: 'version' };
    if (a === '-h' || a === '--help') return { kind: 'help', text: `${usage}\n\n(espbench's espflash stand-in)` };
    if (skipFlag && (a === '-S' || a === '--skip-update-check')) {
      skipUpdateCheck = true;
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = known.find((s) => s.long === name);
      if (!spec) throw unexpected(eq < 0 ? a : a.slice(0, eq), usage);
      if (!spec.value) {
        if (eq >= 0) throw new ClapError(`error: unexpected value '${a.slice(eq + 1)}' for '${display(spec)}' found; no more were expected\n\n${usage}\n\n${MORE}`);
        set(spec, true);
      } else if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (i + 1 < argv.length) set(spec, argv[++i]!);
      else needValue(spec);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const spec = known.find((s) => s.short === a[j]);
        if (!spec) throw unexpected(`-${a[j]}`, usage);
        if (!spec.value) {
          set(spec, true);
          continue;
        }
        const rest = a.slice(j + 1).replace(/^=/, '');
        if (rest) set(spec, rest);
        else if (i + 1 < argv.length) set(spec, argv[++i]!);
        else needValue(spec);
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  const names = POSITIONALS[command];
  if (positionals.length < names.length) {
    const missing = names.slice(positionals.length).map((n) => `<${n}>`);
    throw new ClapError(`error: the following required arguments were not provided:\n${missing.map((m) => `  ${m}`).join('\n')}\n\nUsage: espflash ${command} ${names.map((n) => `<${n}>`).join(' ')}\n\n${MORE}`);
  }
  if (positionals.length > names.length) throw unexpected(positionals[names.length]!, usage);
  if (command === 'write-bin' && parseU32(positionals[0]!) === null) {
    throw new ClapError(`error: invalid value '${positionals[0]}' for '<ADDRESS>': invalid digit found in string\n\n${MORE}`);
  }
  return { kind: 'run', command, options, positionals, skipUpdateCheck };
}

/** clap's reading of a boolean from the environment (FalseyValueParser). */
function truthyEnv(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !['', 'n', 'no', 'f', 'false', 'off', '0'].includes(value.trim().toLowerCase());
}
