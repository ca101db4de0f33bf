/**
 * The host side of ESP-IDF's iperf example firmware: the real iperf 2 (Debian's `iperf` package,
 * Homebrew's `iperf`), run as a child process with CSV reports (`-y C`), never reimplemented.
 * The board's iperf client sends to `startIperf2Server()`; the board's iperf server is sent to by
 * `runIperf2Client()`. iperf 3 is a different program with its own protocol and is refused.
 *
 * ## iperf 2 CSV reports (what this module relies on)
 *
 * Checked against the iperf 2 sources (SourceForge's iperf2 git, read through the GitHub mirror
 * harrycheng1/iperf2-mirror, branch `2-1-8` = "2.1.8 (12 August 2022)", the version Debian 12
 * ships) and against the output of that binary on this machine (test/fixtures/iperf2-*.csv).
 *
 * - One line per report, written with printf by `tcp_output_basic_csv` / `udp_output_basic_csv`
 *   (src/ReportOutputs.c) from the formats `reportCSV_bw_format` and
 *   `reportCSV_bw_jitter_loss_format` (src/Locale.c); selected in src/Reports.c whenever
 *   `mReportMode == kReport_CSV` (`-y C`, `--reportstyle C`, src/Settings.cpp), for client and
 *   server, before any `-e`/`--sum-only` choice. The lines arrive as they are reported when stdout
 *   is a pipe (seen here: one line per `-i` interval, not at exit).
 * - TCP, 9 fields: `timestamp,srcaddr,srcport,dstaddr,dstport,transferid,start-end,bytes,bps`.
 *   UDP, 14 fields: the same 9, then `jitter_ms,lost,datagrams,lost_percent,out_of_order`.
 * - Addresses are the *traffic's* source and destination: `format_ips_ports_string` swaps local
 *   and peer in server mode (`ThreadMode == kMode_Server`), so on the server the first pair is the
 *   connecting client (the board) and the second the server's own socket; on a client the first
 *   pair is its own socket. IPv6 addresses are printed with inet_ntop (no brackets, no commas).
 * - timestamp: `strftime("%Y%m%d%H%M%S")` in *local* time (no zone), of the report's interval end;
 *   with `-e` (2.1.8) `.mmm` milliseconds are appended. Seen: a UDP client whose server never
 *   answered prints `19700101000000`. Informational only; intervals are `start-end`.
 * - start-end: `%.1f-%.1f` seconds since the transfer started. A final partial interval is printed
 *   when it is significant (e.g. `1.0-1.5` for `-t 1.5 -i 1`, but a UDP client skipped it here).
 *   The transfer's total is one more line starting at `0.0` (`0.0-3.0`); with `-i` equal to the
 *   whole run both look alike (`0.0-1.0` twice), and without `-i` the total is the only line.
 * - bytes: raw count (`%PRIdMAX`), never scaled by `-f`. bps: `bytes * 8 / (end - start)` with the
 *   unrounded times, truncated to an integer, in bits/s where 1 kbit = 1000 bits (no `-f` scaling).
 * - UDP server: jitter (ms, RFC 1889 style, `%.3f`), lost datagrams, total datagrams, loss percent
 *   (`%.3f`), out-of-order datagrams, per interval and in the total. UDP client: jitter 0 and lost 0;
 *   datagrams are the ones sent in the interval, but the total line's datagrams is the final
 *   packet id (`stats->cntDatagrams = stats->PacketID` in reporter_transfer_protocol_client_udp,
 *   src/Reporter.c), not a count: `-1` and `-0.000` % were printed here. The server's report
 *   that a human-format UDP client prints ("Server Report") is not printed in CSV mode
 *   (src/Client.cpp, `mReportMode != kReport_CSV`).
 * - Several streams (`-P`) give one line per stream (its own transfer id); sum lines are not
 *   printed in CSV mode in 2.1.8 (the sum report's `output_handler` is NULL, src/Reports.c).
 * - `--sum-only` does not change CSV output in 2.1.8 (the CSV handler is chosen before it).
 * - Differences by version: 2.1.9 defines `-e` CSV formats with more fields
 *   (`reportCSV_bw_read_enhanced_format`, ... in src/Locale.c) and prints UDP counters as
 *   `%PRIdMAX`; 2.2.0 and later print a header line (`time,srcaddress,...`) for the enhanced
 *   formats and split the interval into two fields (`istart,iend`). The plain formats above are
 *   unchanged from 2.1.4 to 2.2.1 and master. This module never passes `-e`, so it sees only them;
 *   `parseIperf2Csv` returns null for any other line.
 * - Nothing is printed on accept in CSV mode (no "connected with" line): the server's peer is known
 *   at its first report. Errors go to stderr and, in 2.1.8, often with exit status 0:
 *   `listener bind failed: Address already in use`, `tcp connect failed: Connection refused`,
 *   `read failed: Connection refused` (UDP client without a server, repeated per retry).
 * - `iperf -v` prints `iperf version 2.1.8 (12 August 2022) pthreads` on stderr and exits 1;
 *   iperf 3 prints `iperf 3.x (cJSON ...)` on stdout.
 * - `-b` suffixes: lowercase k/m/g are 10^3-based, uppercase K/M/G 2^10-based (`-b 10M` is
 *   10 485 760 bits/s); numbers given here are passed as plain bits/s.
 * - `IPERF_<long option>` environment variables and `TCP_WINDOW_SIZE` set options too; they are
 *   removed from the child's environment so runs do not depend on the caller's shell.
 * - The server takes `-P 1` as "exit after one connection" (for UDP too: after one flow); SIGTERM
 *   stops it, but only after up to ~1 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { constants as fsConstants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import { delimiter, join } from 'node:path';
import { normalizeAddress } from './address.js';

// ---------------------------------------------------------------------------------------------
// Errors

const INSTALL_FIX = 'install iperf 2: `apt-get install iperf` (Debian/Ubuntu) or `brew install iperf` (macOS)';

/** No `iperf` on PATH (or the given command does not exist). */
export class Iperf2MissingError extends Error {
  override readonly name = 'Iperf2MissingError';
  /** What to run to fix it. */
  readonly fix = INSTALL_FIX;
  constructor(
    readonly command: string,
    readonly searched: string[],
  ) {
    super(`${command} (iperf 2) was not found${searched.length ? ` on PATH (${searched.join(delimiter)})` : ''}; ${INSTALL_FIX}`);
  }
}

/** The `iperf` found is not iperf 2 (typically iperf 3, a different program and protocol). */
export class Iperf2VersionError extends Error {
  override readonly name = 'Iperf2VersionError';
  readonly fix = INSTALL_FIX;
  constructor(
    readonly path: string,
    readonly versionText: string,
  ) {
    const iperf3 = /\biperf 3\.|iperf version 3\./.test(versionText);
    super(
      iperf3
        ? `${path} is iperf 3 (${firstLine(versionText)}); the ESP-IDF iperf firmware speaks iperf 2, a different program: ${INSTALL_FIX}`
        : `${path} does not say it is iperf 2 (\`${path} -v\`: ${JSON.stringify(firstLine(versionText))}); ${INSTALL_FIX}`,
    );
  }
}

/** iperf 2 ran but failed: could not bind or connect, exited early, printed no report. */
export class Iperf2Error extends Error {
  override readonly name = 'Iperf2Error';
  constructor(
    message: string,
    /** The tail of what iperf wrote on stderr. */
    readonly stderr: string,
  ) {
    super(stderr.trim() ? `${message}: ${lastLines(stderr, 3)}` : message);
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

function lastLines(s: string, n: number): string {
  const unique = [...new Set(s.trim().split('\n').map((l) => l.trim()).filter(Boolean))];
  return unique.slice(-n).join('; ');
}

// ---------------------------------------------------------------------------------------------
// CSV

export interface Iperf2Endpoint {
  address: string;
  port: number;
}

/** The UDP columns; see the header comment for what a client prints in them. */
export interface Iperf2UdpFields {
  jitterMs: number;
  lost: number;
  datagrams: number;
  lostPercent: number;
  outOfOrder: number;
}

/** One CSV report line. */
export interface Iperf2Report {
  /** As printed: local time `YYYYMMDDHHMMSS` (`.mmm` with -e). */
  timestamp: string;
  /** `timestamp` read as local time; null if it is not in that form. */
  time: Date | null;
  /** Where the traffic comes from (the client, on a server). */
  source: Iperf2Endpoint;
  /** Where it goes (the server). */
  destination: Iperf2Endpoint;
  transferId: number;
  /** Seconds since the transfer started, one decimal as printed. */
  startS: number;
  endS: number;
  bytes: number;
  /** As iperf computed it: bytes * 8 / unrounded duration, truncated. */
  bitsPerSecond: number;
  /** Null for TCP lines. */
  udp: Iperf2UdpFields | null;
}

const INT = /^-?\d+$/;
const FLOAT = /^-?\d+(?:\.\d+)?$/;
const STAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,6}))?$/;
const INTERVAL = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/;

/**
 * One line of iperf 2's `-y C` output (TCP: 9 fields, UDP: 14); null for anything else (blank
 * lines, headers, human-format text, other field counts).
 */
export function parseIperf2Csv(line: string): Iperf2Report | null {
  const f = line.trim().split(',');
  if (f.length !== 9 && f.length !== 14) return null;
  const [timestamp, srcAddr, srcPort, dstAddr, dstPort, id, interval, bytes, bps] = f as [string, ...string[]];
  if (!/^\d{14}(?:\.\d+)?$/.test(timestamp)) return null;
  if (!srcAddr || !dstAddr || ![srcPort, dstPort, id, bytes, bps].every((v) => INT.test(v!))) return null;
  const iv = INTERVAL.exec(interval!);
  if (!iv) return null;
  let udp: Iperf2UdpFields | null = null;
  if (f.length === 14) {
    const [jitter, lost, datagrams, lostPercent, outOfOrder] = f.slice(9) as [string, string, string, string, string];
    if (!FLOAT.test(jitter) || !INT.test(lost) || !INT.test(datagrams) || !FLOAT.test(lostPercent) || !INT.test(outOfOrder)) return null;
    udp = {
      jitterMs: Number(jitter),
      lost: Number(lost),
      datagrams: Number(datagrams),
      lostPercent: Number(lostPercent) || 0, // "-0.000" -> 0
      outOfOrder: Number(outOfOrder),
    };
  }
  return {
    timestamp,
    time: parseStamp(timestamp),
    source: { address: normalizeAddress(srcAddr), port: Number(srcPort) },
    destination: { address: normalizeAddress(dstAddr), port: Number(dstPort) },
    transferId: Number(id),
    startS: Number(iv[1]),
    endS: Number(iv[2]),
    bytes: Number(bytes),
    bitsPerSecond: Number(bps),
    udp,
  };
}

function parseStamp(s: string): Date | null {
  const m = STAMP.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const date = new Date(y, mo - 1, d, h, mi, sec, ms);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Tells intervals from the transfer's total as lines arrive: a line starting at 0 is the total
 * when an earlier line of the same transfer was seen, or when its length is not one interval
 * (no -i, or a run shorter than -i). The one ambiguous case, a run that ended within 0.05 s of
 * one interval before the first interval report, is settled when the process exits.
 */
class ReportSorter {
  private readonly seen = new Set<number>();
  constructor(private readonly intervalS: number) {}

  isTotal(r: Iperf2Report): boolean {
    const first = !this.seen.has(r.transferId);
    this.seen.add(r.transferId);
    if (r.startS !== 0) return false;
    if (!first) return true;
    return !(this.intervalS > 0 && Math.abs(r.endS - this.intervalS) < 0.05 + 1e-9);
  }
}

// ---------------------------------------------------------------------------------------------
// Finding the binary

export interface Iperf2Binary {
  path: string;
  /** `2.1.8` */
  version: string;
  /** What `-v` printed. */
  versionText: string;
}

export interface FindIperf2Options {
  /** Command name or path; default `iperf`. */
  command?: string;
  /** The PATH to search; default process.env.PATH. */
  path?: string;
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    if (!(await stat(p)).isFile()) return false;
    await access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds iperf 2 on PATH and checks `iperf -v`. Throws Iperf2MissingError (with `fix`) when it is
 * not there, Iperf2VersionError when it is not iperf 2 (iperf 3, for one).
 */
export async function findIperf2(opts: FindIperf2Options = {}): Promise<Iperf2Binary> {
  const command = opts.command ?? 'iperf';
  let found: string | null = null;
  let searched: string[] = [];
  if (command.includes('/')) {
    if (await isExecutableFile(command)) found = command;
  } else {
    searched = (opts.path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean);
    for (const dir of searched) {
      const candidate = join(dir, command);
      if (await isExecutableFile(candidate)) {
        found = candidate;
        break;
      }
    }
  }
  if (!found) throw new Iperf2MissingError(command, searched);
  const versionText = await runForOutput(found, ['-v'], 5000);
  const m = /\biperf version (\d+)\.(\d+)\.(\d+)/.exec(versionText);
  if (!m || m[1] !== '2') throw new Iperf2VersionError(found, versionText);
  return { path: found, version: `${m[1]}.${m[2]}.${m[3]}`, versionText: versionText.trim() };
}

/** stdout and stderr together, whatever the exit status (`iperf -v` exits 1). */
function runForOutput(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

async function resolveBinary(binary: Iperf2Binary | string | undefined): Promise<Iperf2Binary> {
  if (binary === undefined) return findIperf2();
  if (typeof binary === 'string') return findIperf2({ command: binary });
  return binary;
}

// ---------------------------------------------------------------------------------------------
// Child processes

/** The caller's environment without the variables iperf 2 reads as options. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^IPERF_/i.test(k) || k === 'TCP_WINDOW_SIZE') continue;
    env[k] = v;
  }
  return env;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** iperf in a process group of its own, so stopping it stops everything it started. */
function spawnIperf(bin: string, args: string[]): ChildProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: childEnv() });
  live.add(child);
  child.once('close', () => live.delete(child));
  child.once('error', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A detached group outlives us unless told: take them all down when this process exits.
    process.once('exit', () => {
      for (const c of live) killGroup(c, 'SIGKILL');
    });
  }
  return child;
}

/** SIGTERM to the group, SIGKILL after graceMs (iperf 2.1.8 takes up to ~1 s to act on SIGTERM). */
function stopGroup(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

/** Calls onLine for each stdout line; keeps the last 8 KiB of stderr. */
function collect(child: ChildProcess, onLine: (line: string) => void): { stderr: () => string } {
  let pending = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      onLine(line);
    }
  });
  child.stdout!.on('end', () => {
    if (pending) onLine(pending);
    pending = '';
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 8192) err = err.slice(-8192);
  });
  return { stderr: () => err };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${what} must be an integer 0-65535, got ${port}`);
}

function checkSeconds(v: number, what: string): void {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${what} must be a positive number of seconds, got ${v}`);
}

function ipv6(host: string | undefined): boolean {
  return !!host && host.includes(':');
}

/** A port free now on host (TCP, or UDP), for iperf's -p. */
export function pickFreePort(host = '0.0.0.0', udp = false): Promise<number> {
  return new Promise((resolve, reject) => {
    if (udp) {
      const s = dgram.createSocket(ipv6(host) ? 'udp6' : 'udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    } else {
      const s = net.createServer();
      s.once('error', reject);
      s.listen({ port: 0, host, exclusive: true }, () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    }
  });
}

/**
 * Whether something has `port` bound (TCP: listening; UDP: bound), from /proc/net (Linux); null
 * where there is no /proc/net.
 */
export async function portIsBound(port: number, udp: boolean): Promise<boolean | null> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let any = false;
  for (const file of udp ? ['udp', 'udp6'] : ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = await readFile(`/proc/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    any = true;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || !local.endsWith(`:${hexPort}`)) continue;
      if (udp || cols[3] === '0A') return true;
    }
  }
  return any ? false : null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Server

export interface Iperf2ServerOptions {
  /** Port to listen on; 0 (the default) picks a free one (see `Iperf2Server.port`). */
  port?: number;
  udp?: boolean;
  /** Address to bind (`-B`); default all addresses. An IPv6 address adds `-V`. */
  host?: string;
  /** Interval report length (`-i`), seconds; default 1. */
  intervalS?: number;
  /** Stops the server (process group) and fails `done`. */
  signal?: AbortSignal;
  /** The iperf to run: from findIperf2(), or a command; default findIperf2(). */
  binary?: Iperf2Binary | string;
  /** How long to wait for iperf to bind; default 5000 ms. */
  readyTimeoutMs?: number;
}

export interface Iperf2ServerEvents {
  /** The first report named the connection's source. */
  peer: [Iperf2Endpoint];
  interval: [Iperf2Report];
  summary: [Iperf2Report];
  /** The process ended (after `summary`, or `done` rejected). */
  exit: [];
}

/**
 * iperf 2 as a one-connection server (`iperf -s -P 1 -y C`): it receives one client's traffic
 * (one TCP connection or one UDP flow) and exits. Intervals come as events, as `intervals` and by
 * async iteration (which replays from the first and ends at the summary); `done` resolves with
 * the transfer's total line. Failures reject `done` and end iteration with the error; 'error' is
 * never emitted.
 */
export class Iperf2Server extends EventEmitter<Iperf2ServerEvents> implements AsyncIterable<Iperf2Report> {
  /** The connection's source (the board), known from the first report on; null before. */
  peer: Iperf2Endpoint | null = null;
  readonly intervals: Iperf2Report[] = [];
  summary: Iperf2Report | null = null;
  /** Resolves with the summary once the connection ended and iperf exited. */
  readonly done: Promise<Iperf2Report>;

  private readonly sorter: ReportSorter;
  private failure: unknown = null;
  private ended = false;
  private exited = false;
  private waiters: (() => void)[] = [];
  private settle!: { resolve: (r: Iperf2Report) => void; reject: (e: unknown) => void };
  private stderrOf: () => string = () => '';
  private closing: string | null = null;

  /** @internal use startIperf2Server() */
  constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly host: string,
    readonly udp: boolean,
    readonly intervalS: number,
    /** The command line, for records and messages. */
    readonly command: string[],
  ) {
    super();
    this.sorter = new ReportSorter(intervalS);
    this.done = new Promise<Iperf2Report>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined); // whoever awaits it still sees the rejection
    this.stderrOf = collect(child, (line) => this.onLine(line)).stderr;
    child.once('close', (code, sig) => this.onExit(code, sig));
  }

  /** What iperf has written on stderr so far (tail). */
  get stderr(): string {
    return this.stderrOf();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onLine(line: string): void {
    const r = parseIperf2Csv(line);
    if (!r || this.summary) return;
    if (!this.peer) {
      this.peer = r.source;
      this.emit('peer', r.source);
    }
    if (this.sorter.isTotal(r)) {
      this.finish(r);
    } else {
      this.intervals.push(r);
      this.emit('interval', r);
      this.wake();
    }
  }

  private finish(summary: Iperf2Report): void {
    this.summary = summary;
    this.ended = true;
    this.emit('summary', summary);
    this.settle.resolve(summary);
    this.wake();
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = err;
    this.settle.reject(err);
    this.wake();
  }

  private onExit(code: number | null, sig: NodeJS.Signals | null): void {
    this.exited = true;
    if (!this.summary) {
      // The ambiguous case of ReportSorter: the last line starting at 0 was the total.
      const last = this.intervals.at(-1);
      if (last && last.startS === 0 && !this.closing) {
        this.intervals.pop();
        this.finish(last);
      } else {
        const why = this.closing ?? (code !== null ? `exited with status ${code}` : `was killed by ${sig}`);
        this.fail(new Iperf2Error(`iperf server on port ${this.port} ${why} before a transfer ended`, this.stderr));
      }
    }
    this.emit('exit');
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Iperf2Report, void, undefined> {
    let i = 0;
    for (;;) {
      if (i < this.intervals.length) {
        yield this.intervals[i++]!;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** @internal */
  abort(reason: unknown): Promise<void> {
    this.closing = 'was aborted';
    this.fail(reason);
    return stopGroup(this.child);
  }

  /** Stops iperf (its process group); `done` rejects if no transfer ended yet. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.closing ??= 'was closed';
    await stopGroup(this.child);
  }
}

/**
 * Starts `iperf -s -P 1 -y C` and resolves once it has bound its port (Linux: seen in /proc/net;
 * elsewhere after 300 ms without an error). With port 0 a free port is picked, and picked again
 * (up to 3 times) should iperf lose it to someone else.
 */
export async function startIperf2Server(opts: Iperf2ServerOptions = {}): Promise<Iperf2Server> {
  const { udp = false, host, intervalS = 1, signal, readyTimeoutMs = 5000 } = opts;
  const wanted = opts.port ?? 0;
  checkPort(wanted, 'port');
  checkSeconds(intervalS, 'intervalS');
  signal?.throwIfAborted();
  const bin = await resolveBinary(opts.binary);
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const port = wanted || (await pickFreePort(host ?? '0.0.0.0', udp));
    const args = ['-s', '-P', '1', '-y', 'C', '-p', String(port), '-i', String(intervalS)];
    if (udp) args.push('-u');
    if (host) args.push('-B', host);
    if (ipv6(host)) args.push('-V');
    const child = spawnIperf(bin.path, args);
    const server = new Iperf2Server(child, port, host ?? '0.0.0.0', udp, intervalS, [bin.path, ...args]);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    try {
      await waitUntilBound(server, child, port, udp, readyTimeoutMs, spawnError, signal);
    } catch (err) {
      await server.close();
      const lost = err instanceof Iperf2Error && /bind failed|in use/i.test(err.message);
      if (lost && !wanted && attempt < 3) continue;
      throw err;
    }
    if (signal) {
      const onAbort = () => void server.abort(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      server.once('exit', () => signal.removeEventListener('abort', onAbort));
    }
    return server;
  }
}

async function waitUntilBound(
  server: Iperf2Server,
  child: ChildProcess,
  port: number,
  udp: boolean,
  timeoutMs: number,
  spawnError: Promise<Error>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let exited = false;
  let failed: Error | null = null;
  child.once('close', () => (exited = true));
  void spawnError.then((e) => (failed = e));
  const deadline = Date.now() + timeoutMs;
  const proc = await portIsBound(port, udp);
  const noProc = proc === null;
  const started = Date.now();
  for (;;) {
    if (failed) throw failed;
    if (signal?.aborted) throw abortReason(signal);
    // iperf 2.1.8 reports a failed bind on stderr (and exits 0 a moment later).
    if (exited || /failed/i.test(server.stderr)) {
      throw new Iperf2Error(`iperf server could not listen on ${udp ? 'UDP' : 'TCP'} port ${port}`, server.stderr);
    }
    if (noProc ? Date.now() - started >= 300 : await portIsBound(port, udp)) return;
    if (Date.now() > deadline) throw new Iperf2Error(`iperf server did not bind ${udp ? 'UDP' : 'TCP'} port ${port} within ${timeoutMs} ms`, server.stderr);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Client

export interface Iperf2ClientOptions {
  host: string;
  port: number;
  /** `-t`, seconds; default 10. */
  durationS?: number;
  udp?: boolean;
  /**
   * `-b`: a number is bits/s; a string is passed as written (`10m` = 10^7, `10M` = 10*2^20,
   * `500pps`). iperf's UDP default is 1 Mbit/s; TCP is unpaced without it.
   */
  bandwidth?: number | string;
  /** `-i`, seconds; default 1. */
  intervalS?: number;
  signal?: AbortSignal;
  binary?: Iperf2Binary | string;
  /** Give up (and kill iperf) after this; default durationS + 30 s. */
  timeoutMs?: number;
  /** `-w`: socket buffer size in bytes; bounds what can sit unsent in the host's buffers when the test ends. */
  windowBytes?: number;
}

export interface Iperf2ClientResult {
  intervals: Iperf2Report[];
  /** The transfer's total line (`0.0-N`). */
  summary: Iperf2Report;
  /** This end of the connection (the traffic's source). */
  local: Iperf2Endpoint;
  remote: Iperf2Endpoint;
  stderr: string;
  command: string[];
}

function bandwidthArg(b: number | string): string {
  if (typeof b === 'number') {
    if (!Number.isFinite(b) || b <= 0) throw new RangeError(`bandwidth must be a positive number of bits/s, got ${b}`);
    return String(Math.round(b));
  }
  if (!/^\d+(?:\.\d+)?(?:[kmgKMG]|pps)?$/.test(b)) throw new RangeError(`bandwidth ${JSON.stringify(b)} is not iperf's #[kmgKMG|pps]`);
  return b;
}

/** Runs `iperf -c host -y C` and resolves with its reports once it exits. */
export async function runIperf2Client(opts: Iperf2ClientOptions): Promise<Iperf2ClientResult> {
  const { host, port, durationS = 10, udp = false, intervalS = 1, signal } = opts;
  checkPort(port, 'port');
  if (port === 0) throw new RangeError('port 0: the client needs the server\'s port');
  checkSeconds(durationS, 'durationS');
  checkSeconds(intervalS, 'intervalS');
  const bandwidth = opts.bandwidth === undefined ? undefined : bandwidthArg(opts.bandwidth);
  const timeoutMs = opts.timeoutMs ?? durationS * 1000 + 30_000;
  signal?.throwIfAborted();
  const bin = await resolveBinary(opts.binary);
  const args = ['-c', host, '-p', String(port), '-y', 'C', '-t', String(durationS), '-i', String(intervalS)];
  if (udp) args.push('-u');
  if (bandwidth !== undefined) args.push('-b', bandwidth);
  if (opts.windowBytes !== undefined) args.push('-w', String(Math.round(opts.windowBytes)));
  if (ipv6(host)) args.push('-V');
  signal?.throwIfAborted();
  const child = spawnIperf(bin.path, args);
  const reports: Iperf2Report[] = [];
  const out = collect(child, (line) => {
    const r = parseIperf2Csv(line);
    if (r) reports.push(r);
  });
  const command = [bin.path, ...args];
  const where = `${host}:${port}`;

  return new Promise<Iperf2ClientResult>((resolve, reject) => {
    let stopped: unknown = null;
    const stop = (why: unknown) => {
      stopped ??= why;
      void stopGroup(child);
    };
    const onAbort = () => stop(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop(new Iperf2Error(`iperf client to ${where} did not finish within ${timeoutMs} ms`, out.stderr())), timeoutMs);
    child.once('error', (err) => stop(err));
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const stderr = out.stderr();
      if (stopped) return reject(stopped);
      if (/connect failed|Connection refused/i.test(stderr)) {
        return reject(new Iperf2Error(`no iperf 2 server answered at ${udp ? 'UDP' : 'TCP'} ${where}`, stderr));
      }
      if (code !== 0) return reject(new Iperf2Error(`iperf client to ${where} ${code !== null ? `exited with status ${code}` : `was killed by ${sig}`}`, stderr));
      // The total is the last line starting at 0 of the (single) transfer.
      const last = reports.length - 1;
      if (last < 0 || reports[last]!.startS !== 0) {
        return reject(new Iperf2Error(`iperf client to ${where} printed no final report`, stderr));
      }
      const summary = reports[last]!;
      resolve({
        intervals: reports.slice(0, last),
        summary,
        local: summary.source,
        remote: summary.destination,
        stderr,
        command,
      });
    });
  });
}
