import type { OutputFormat } from './format.js';
import type { ReportGeneration } from './options.js';

/** esp_console_split_argv-like: whitespace separated, double quotes group, backslash escapes. */
export function splitArgv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inToken = true;
    } else if (c === '"') {
      quoted = !quoted;
      inToken = true;
    } else if (!quoted && (c === ' ' || c === '\t')) {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

export interface IperfArgs {
  client: string | null;
  server: boolean;
  udp: boolean;
  port: number | null;
  length: number | null;
  interval: number | null;
  time: number | null;
  /** Bits per second (`-b`); null: unlimited. */
  bandwidth: number | null;
  format: OutputFormat | null;
  abort: boolean;
  help: boolean;
}

export type ArgResult = { ok: true; args: IperfArgs } | { ok: false; error: string };

type Kind = 'lit' | 'int' | 'str';
interface Spec {
  short?: string;
  long: string;
  kind: Kind;
  key: keyof IperfArgs | 'ignore';
}

const COMMON: Spec[] = [
  { short: 'c', long: 'client', kind: 'str', key: 'client' },
  { short: 's', long: 'server', kind: 'lit', key: 'server' },
  { short: 'u', long: 'udp', kind: 'lit', key: 'udp' },
  { short: 'V', long: 'ipv6_domain', kind: 'lit', key: 'ignore' },
  { short: 'p', long: 'port', kind: 'int', key: 'port' },
  { short: 'l', long: 'len', kind: 'int', key: 'length' },
  { short: 'i', long: 'interval', kind: 'int', key: 'interval' },
  { short: 't', long: 'time', kind: 'int', key: 'time' },
];

/** The argtables of cmd_wifi.c (1), iperf-cmd 0.1.x (2) and iperf-cmd 1.0.x (3). */
export function iperfSpecs(gen: ReportGeneration): Spec[] {
  switch (gen) {
    case 1:
      return [...COMMON, { short: 'a', long: 'abort', kind: 'lit', key: 'abort' }];
    case 2:
      return [
        ...COMMON,
        { short: 'b', long: 'bandwidth', kind: 'int', key: 'bandwidth' },
        { short: 'f', long: 'format', kind: 'str', key: 'format' },
        { long: 'abort', kind: 'lit', key: 'abort' },
      ];
    case 3:
      return [
        { long: 'help', kind: 'lit', key: 'help' },
        ...COMMON,
        { short: 'B', long: 'bind', kind: 'str', key: 'ignore' },
        { long: 'cport', kind: 'int', key: 'ignore' },
        { short: 'b', long: 'bandwidth', kind: 'str', key: 'bandwidth' },
        { short: 'f', long: 'format', kind: 'str', key: 'format' },
        { short: 'S', long: 'tos', kind: 'int', key: 'ignore' },
        { long: 'id', kind: 'int', key: 'ignore' },
        { long: 'abort', kind: 'lit', key: 'abort' },
        { short: 'P', long: 'parallel', kind: 'int', key: 'ignore' },
      ];
  }
}

/** iperf-cmd 1.0's `-b`: `#[kmgKMG]`, lower case 10^3-based, upper case 2^10-based, in bits/s. */
export function parseBandwidth(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kmgKMG]?)$/.exec(text);
  if (!m) return null;
  const scale: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, K: 1024, M: 1 << 20, G: 1 << 30 };
  return Number(m[1]) * (scale[m[2] ?? ''] ?? 1);
}

/**
 * argtable3-like parsing of `iperf ...` (argv[0] included). Error texts follow argtable3's arg_end:
 * `iperf: invalid option "-x"`, `iperf: option "-c" requires an argument`, `iperf: unexpected argument "x"`,
 * `iperf: invalid argument "x" to option -t`.
 */
export function parseIperfArgs(argv: readonly string[], gen: ReportGeneration): ArgResult {
  const specs = iperfSpecs(gen);
  const args: IperfArgs = {
    client: null,
    server: false,
    udp: false,
    port: null,
    length: null,
    interval: null,
    time: null,
    bandwidth: null,
    format: null,
    abort: false,
    help: false,
  };
  const prog = argv[0] ?? 'iperf';
  const fail = (text: string): ArgResult => ({ ok: false, error: `${prog}: ${text}` });
  for (let i = 1; i < argv.length; i++) {
    const token = argv[i] as string;
    let spec: Spec | undefined;
    let value: string | undefined;
    let shown: string;
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=');
      const name = eq >= 0 ? token.slice(2, eq) : token.slice(2);
      if (eq >= 0) value = token.slice(eq + 1);
      spec = specs.find((s) => s.long === name);
      shown = `--${name}`;
      if (!spec) return fail(`invalid option "${shown}"`);
    } else if (token.startsWith('-') && token.length > 1) {
      const letter = token[1] as string;
      spec = specs.find((s) => s.short === letter);
      shown = `-${letter}`;
      if (!spec) return fail(`invalid option "${shown}"`);
      if (token.length > 2) {
        if (spec.kind === 'lit') return fail(`invalid option "${token}"`);
        value = token.slice(2);
      }
    } else {
      return fail(`unexpected argument "${token}"`);
    }
    if (spec.kind === 'lit') {
      if (value !== undefined) return fail(`invalid option "${token}"`);
      if (spec.key !== 'ignore') (args as unknown as Record<string, unknown>)[spec.key] = true;
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined) return fail(`option "${shown}" requires an argument`);
      value = next;
      i++;
    }
    if (spec.key === 'ignore') continue;
    if (spec.kind === 'int' || (spec.key === 'bandwidth' && gen === 2)) {
      if (!/^[-+]?\d+$/.test(value)) return fail(`invalid argument "${value}" to option ${shown}`);
      const n = Number(value);
      if (spec.key === 'bandwidth') args.bandwidth = n * 1e6; // iperf-cmd 0.1.x: Mbits/sec
      else (args as unknown as Record<string, unknown>)[spec.key] = n;
    } else if (spec.key === 'bandwidth') {
      const bps = parseBandwidth(value);
      if (bps === null) return fail(`invalid argument "${value}" to option ${shown}`);
      args.bandwidth = bps;
    } else if (spec.key === 'format') {
      args.format = value as OutputFormat; // checked by the command (ignore invalid format)
    } else {
      (args as unknown as Record<string, unknown>)[spec.key] = value;
    }
  }
  return { ok: true, args };
}
