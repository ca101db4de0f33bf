import { hostname, platform } from 'node:os';
import { createLink, parseDeviceUri, type LineLink } from '@espbench/link';
import { idfIperf } from '@espbench/protocol';
import { RUN_RECORD_VERSION, type Failure, type Result, type RunRecord, type RunStatus, type Scenario } from '@espbench/schema';
import { findIperf2, runIperf2Client, startIperf2Server, type Iperf2Binary, type Iperf2Report } from '@espbench/traffic';
import type { Progress } from './progress.js';

/** What ESP-IDF's iperf example can measure, in espbench's scenario names. */
export const IDF_IPERF_SCENARIOS = ['wifi-tcp-upload', 'wifi-tcp-download', 'wifi-udp-upload', 'wifi-udp-download'] as const satisfies readonly Scenario[];
export type IdfIperfScenario = (typeof IDF_IPERF_SCENARIOS)[number];

export interface IdfIperfOptions {
  device: string;
  scenarios: readonly IdfIperfScenario[];
  iterations: number;
  /** Seconds per test (`iperf -t`). */
  durationS: number;
  labels: Record<string, string>;
  /** The address the board reaches this host at (`iperf -c <hostIp>`). */
  hostIp: string;
  /** The access point the board joins (`sta` / `sta_connect`). */
  ssid: string;
  password: string;
  /** UDP: bits per second each side sends (`-b`); default 20 Mbit/s. */
  udpBitsPerSecond?: number;
  /** The port the board listens on for downloads (`iperf -s -p`); default 5001. */
  boardPort?: number;
  runId: string;
  version?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onWarning?: (line: string) => void;
  reset?: boolean;
  /** How long to wait for the console prompt (default 20 s). */
  promptTimeoutS?: number;
  /** The iperf 2 to run on the host; default `iperf` on PATH. */
  iperf?: Iperf2Binary | string;
  /** What generation 1's `Mbits/sec` means (see the parser); default decimal. */
  legacyMegabit?: 'decimal' | 'binary';
}

export class IdfIperfError extends Error {
  override readonly name = 'IdfIperfError';
}

type Event = idfIperf.IdfIperfEvent;

/** The board's console: every parsed event in order, readable from any position. */
class IdfConsole {
  readonly events: { t: number; ev: Event }[] = [];
  readonly log: RunRecord['log'] = [];
  private readonly startMs = Date.now();
  private readonly wake = new Set<() => void>();
  private raw: Buffer[] = [];
  closed: string | null = null;

  constructor(
    readonly link: LineLink,
    private readonly parseOpts: idfIperf.IdfIperfParseOptions,
  ) {
    link.on('line', (l) => {
      if (this.log.length < 20_000) this.log.push({ t: Math.round(l.t - this.startMs) / 1000, line: l.line });
      const ev = idfIperf.parseIdfIperfLine(l.line, this.parseOpts);
      if (ev) this.push({ t: l.t, ev });
    });
    link.on('data', (d) => {
      if (this.raw.length < 20_000) this.raw.push(Buffer.from(d));
    });
    link.on('close', (reason) => {
      this.closed = reason ?? 'the link was closed';
      for (const w of this.wake) w();
    });
  }

  rawBytes(): Buffer {
    return Buffer.concat(this.raw);
  }

  private push(e: { t: number; ev: Event }): void {
    this.events.push(e);
    for (const w of this.wake) w();
  }

  async send(command: string): Promise<void> {
    await this.link.write(`${command}\n`);
  }

  /** The first event from `from` on for which `pick` returns a value; rejects after `ms` or when the link closes. */
  async waitFor<T>(from: number, pick: (ev: Event) => T | null | undefined, ms: number, what: string, signal?: AbortSignal): Promise<{ value: T; index: number }> {
    const deadline = Date.now() + ms;
    for (let i = from; ; ) {
      for (; i < this.events.length; i++) {
        const v = pick(this.events[i]!.ev);
        if (v !== null && v !== undefined) return { value: v, index: i };
      }
      if (this.closed) throw new IdfIperfError(`${this.link.uri}: ${this.closed} while waiting for ${what}`);
      if (signal?.aborted) throw new IdfIperfError('interrupted');
      const left = deadline - Date.now();
      if (left <= 0) throw new IdfIperfError(`${this.link.uri}: no ${what} within ${Math.round(ms / 1000)} s`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 250));
        this.wake.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}

const DEFAULT_UDP_BPS = 20_000_000;
const MARGIN_S = 15;

/**
 * ESP-IDF's `examples/wifi/iperf` (or the iperf-cmd component) as a firmware family: espbench drives
 * its console and runs iperf 2 on the host as the other end. Upload: the board is the iperf client
 * (`iperf -c <host>`), the host's `iperf -s -y C` counts what arrives. Download: the board is the
 * server (`iperf -s`), the host's `iperf -c` sends. Each result has the host's figure (iperf 2's CSV)
 * and the board's own report (deviceKiBps).
 */
export async function runIdfIperf(opts: IdfIperfOptions): Promise<{ record: RunRecord; raw: Buffer }> {
  const startedAt = new Date().toISOString();
  const results: Result[] = [];
  let status: RunStatus = 'ok';
  let error: string | null = null;
  let con: IdfConsole | null = null;
  let boardIp: string | null = null;
  let generation: idfIperf.IdfIperfGeneration | null = null;
  let rssi: number | null = null;
  let channel: number | null = null;
  let serialNumber: string | null = null;
  const progress = (scenario: Scenario | null, iteration: number, phase: Progress['phase'], last: string | null = null) =>
    opts.onProgress?.({ device: opts.device, iteration, iterations: opts.iterations, scenario, phase, liveKiBps: null, last });
  try {
    // Fails with a clear message (and the fix) before anything else when iperf 2 is missing.
    const iperf = typeof opts.iperf === 'object' ? opts.iperf : await findIperf2(opts.iperf ? { command: opts.iperf } : {});
    const link = createLink(parseDeviceUri(opts.device));
    con = new IdfConsole(link, { legacyMegabit: opts.legacyMegabit ?? 'decimal' });
    await link.open();
    serialNumber = (await link.identify())?.serialNumber ?? null;
    if (opts.reset) {
      const reset = await link.reset();
      if (!reset.done) opts.onWarning?.(`${opts.device} was not reset: ${reset.reason}; attaching to the console as it runs`);
    }
    progress(null, 1, 'attaching');
    await waitForPrompt(con, (opts.promptTimeoutS ?? 20) * 1000, opts.signal);
    ({ ip: boardIp, generation } = await joinAp(con, opts));
    ({ rssi, channel } = await scanFor(con, opts, generation));

    const ctx: TestContext = { opts, con, iperf, boardIp, generation, rssi, channel };
    for (let iteration = 1; iteration <= opts.iterations && !opts.signal?.aborted; iteration++) {
      for (const scenario of opts.scenarios) {
        if (opts.signal?.aborted) break;
        progress(scenario, iteration, 'testing');
        const r = await runTest(ctx, scenario, iteration);
        if (ctx.generation) generation = ctx.generation;
        results.push(r);
        progress(scenario, iteration, 'testing', r.status === 'ok' ? `${scenario} ${r.hostKiBps?.toFixed(1)} KiB/s` : `${scenario} failed: ${r.failure?.kind}`);
      }
    }
    if (opts.signal?.aborted) {
      status = 'aborted';
      error = 'interrupted; results so far are kept';
    } else if (results.some((r) => r.status === 'failed')) {
      status = 'failed';
      error = `${results.filter((r) => r.status === 'failed').length} of ${results.length} results failed; see each result's failure`;
    }
  } catch (err) {
    if (!(err instanceof Error) || !['IdfIperfError', 'LinkError'].includes(err.name)) throw err;
    status = opts.signal?.aborted ? 'aborted' : 'failed';
    error = err.message;
  } finally {
    await con?.link.close().catch(() => {});
  }
  const record: RunRecord = {
    version: RUN_RECORD_VERSION,
    runId: opts.runId,
    startedAt,
    endedAt: new Date().toISOString(),
    status,
    error,
    device: { uri: opts.device, chip: chipOf(opts.device, con), ip: boardIp, resetReason: null, serialNumber, mac: null },
    labels: { firmware: 'esp-idf', ...opts.labels },
    host: { hostname: hostname(), platform: platform(), espbenchVersion: opts.version ?? '0.0.0', listen: '0.0.0.0', portBase: 0 },
    testDurationS: opts.durationS,
    iterations: opts.iterations,
    results,
    firmware: { name: 'esp-idf-iperf', version: generation ? `report generation ${generation}` : 'unknown', protocol: 0, mac: '', capabilities: [...IDF_IPERF_SCENARIOS] },
    log: con?.log ?? [],
  };
  return { record, raw: con?.rawBytes() ?? Buffer.alloc(0) };
}

function chipOf(uri: string, con: IdfConsole | null): string | null {
  const sim = /^sim:([a-z0-9]+)/.exec(uri);
  if (sim) return sim[1]!;
  const rom = con?.log.map((l) => /^ESP-ROM:(esp32[a-z0-9]*)/.exec(l.line)?.[1]).find(Boolean);
  return rom ?? null;
}

/** The console shows its prompt after boot and after every Enter: press Enter until it does. */
async function waitForPrompt(con: IdfConsole, ms: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const from = con.events.length;
    await con.send('');
    try {
      await con.waitFor(from, (ev) => (ev.type === 'prompt' ? true : null), Math.min(2000, Math.max(1, deadline - Date.now())), 'console prompt', signal);
      return;
    } catch (err) {
      if (con.closed || signal?.aborted) throw err;
      if (Date.now() >= deadline) {
        throw new IdfIperfError(`${con.link.uri}: no console prompt (iperf>) within ${Math.round(ms / 1000)} s: is the board running ESP-IDF's iperf example, and is the console on this port?`);
      }
    }
  }
}

/** `sta <ssid> <pass>` (the example) or `sta_connect` (iperf-cmd's wifi-cmd); the board's address. */
async function joinAp(con: IdfConsole, opts: IdfIperfOptions): Promise<{ ip: string; generation: idfIperf.IdfIperfGeneration | null }> {
  for (const command of ['sta', 'sta_connect']) {
    const from = con.events.length;
    await con.send(`${command} ${opts.ssid} ${opts.password}`);
    const { value } = await con.waitFor(
      from,
      (ev) => {
        if (ev.type === 'sta-connected') return { ok: true as const, ip: ev.ip };
        if (ev.type === 'error' && ev.code === 'unknown-command') return { ok: false as const, why: 'unknown' };
        return null;
      },
      30_000,
      `an IP address after ${command} ${opts.ssid} (wrong SSID or password? the board keeps retrying: ${lastDisconnect(con, from)})`,
      opts.signal,
    ).catch((err: Error) => {
      throw new IdfIperfError(err.message.replace(/\(wrong SSID.*\)$/, `(wrong SSID or password?${lastDisconnect(con, from) ? ` last: ${lastDisconnect(con, from)}` : ''})`));
    });
    if (value.ok) return { ip: value.ip, generation: command === 'sta' ? 1 : null };
  }
  throw new IdfIperfError(`${con.link.uri}: the console knows neither sta nor sta_connect: is it ESP-IDF's iperf example?`);
}

function lastDisconnect(con: IdfConsole, from: number): string {
  const d = con.events.slice(from).reverse().find((e) => e.ev.type === 'disconnected')?.ev;
  return d && d.type === 'disconnected' ? `disconnected${d.reason !== null ? `, reason ${d.reason}` : ''}` : '';
}

/** The AP's RSSI and channel from a scan, when the console has one. */
async function scanFor(con: IdfConsole, opts: IdfIperfOptions, generation: idfIperf.IdfIperfGeneration | null): Promise<{ rssi: number | null; channel: number | null }> {
  for (const command of generation === 1 ? ['scan'] : ['sta_scan', 'scan']) {
    const from = con.events.length;
    await con.send(command);
    try {
      await con.waitFor(from, (ev) => (ev.type === 'scan-done' ? true : ev.type === 'error' ? false : null), 10_000, 'scan results', opts.signal).then(({ value }) => {
        if (!value) throw new Error('no scan');
      });
    } catch {
      continue;
    }
    const entry = con.events.slice(from).map((e) => e.ev).find((ev): ev is idfIperf.IdfIperfEventOf<'scan-entry'> => ev.type === 'scan-entry' && ev.ssid === opts.ssid);
    return { rssi: entry?.rssi ?? null, channel: entry?.channel ?? null };
  }
  return { rssi: null, channel: null };
}

interface TestContext {
  opts: IdfIperfOptions;
  con: IdfConsole;
  iperf: Iperf2Binary;
  boardIp: string;
  generation: idfIperf.IdfIperfGeneration | null;
  rssi: number | null;
  channel: number | null;
}

async function runTest(ctx: TestContext, scenario: IdfIperfScenario, iteration: number): Promise<Result> {
  const startedAt = new Date().toISOString();
  const udp = scenario.startsWith('wifi-udp');
  const upload = scenario.endsWith('upload');
  try {
    return upload ? await runUpload(ctx, scenario, iteration, udp, startedAt) : await runDownload(ctx, scenario, iteration, udp, startedAt);
  } catch (err) {
    if (ctx.con.closed || !(err instanceof Error)) throw err;
    const failure: Failure = { kind: (err as { kind?: string }).kind ?? (err.name === 'Iperf2Error' ? 'host-iperf' : 'timeout'), message: err.message };
    return failedResult(scenario, iteration, failure, startedAt);
  }
}

class TestFailure extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** Follow the board's report of one test from `from` on: its result, or the error it printed. */
async function boardResult(ctx: TestContext, from: number, ms: number): Promise<idfIperf.IdfIperfTestResult> {
  const reader = new idfIperf.IdfIperfReportReader({ legacyMegabit: ctx.opts.legacyMegabit ?? 'decimal' });
  const { value } = await ctx.con.waitFor(
    from,
    (ev) => {
      if (ev.type === 'error') return { error: ev, result: null };
      const r = reader.pushEvent(ev);
      return r ? { error: null, result: r } : null;
    },
    ms,
    'iperf report from the board',
    ctx.opts.signal,
  ).catch((err: Error) => {
    const partial = reader.flush();
    if (partial && partial.intervals.length) return { value: { error: null, result: partial }, index: -1 };
    throw new TestFailure('timeout', err.message);
  });
  if (value.error) throw new TestFailure(`iperf-${value.error.code}`, `the board refused the test: ${value.error.message}`);
  const result = value.result!;
  if (result.generation) ctx.generation = result.generation;
  return result;
}

function bandwidthVariants(ctx: TestContext): string[] {
  const mbps = Math.max(1, Math.round((ctx.opts.udpBitsPerSecond ?? DEFAULT_UDP_BPS) / 1_000_000));
  const all = [` -b ${mbps}m`, ` -b ${mbps}`, ''];
  return ctx.generation === 1 ? all.slice(1) : ctx.generation === 2 ? all.slice(1) : all;
}

async function runUpload(ctx: TestContext, scenario: IdfIperfScenario, iteration: number, udp: boolean, startedAt: string): Promise<Result> {
  const d = ctx.opts.durationS;
  const server = await startIperf2Server({ udp, intervalS: 1, binary: ctx.iperf, ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}) });
  try {
    const command = `iperf -c ${ctx.opts.hostIp} -p ${server.port} -i 1 -t ${Math.max(1, Math.round(d))}${udp ? ' -u' : ''}`;
    // UDP rate: iperf-cmd 1.x takes bits/s with a suffix (`-b 20m`), 0.1.x whole Mbits/s (`-b 20`), the
    // example's older iperf no -b at all (it sends as fast as it can). Try them in that order.
    const variants = udp ? bandwidthVariants(ctx) : [''];
    let board: idfIperf.IdfIperfTestResult | null = null;
    for (const [k, variant] of variants.entries()) {
      const from = ctx.con.events.length;
      await ctx.con.send(command + variant);
      try {
        board = await boardResult(ctx, from, (d + MARGIN_S) * 1000);
        break;
      } catch (err) {
        const refusedB = err instanceof TestFailure && err.kind === 'iperf-invalid-argument' && k < variants.length - 1;
        if (!refusedB) throw err;
      }
    }
    const summary = await within(server.done, 10_000, 'the host iperf server did not report the transfer (did the board connect to the right address? check --host-ip)');
    return measured(ctx, scenario, iteration, startedAt, summary, server.intervals, board!, 'rx');
  } finally {
    await server.close().catch(() => {});
  }
}

async function runDownload(ctx: TestContext, scenario: IdfIperfScenario, iteration: number, udp: boolean, startedAt: string): Promise<Result> {
  const d = ctx.opts.durationS;
  const port = ctx.opts.boardPort ?? 5001;
  const from = ctx.con.events.length;
  // -t: the board's server stops (and prints its summary) that long after the host connected.
  await ctx.con.send(`iperf -s -i 1 -p ${port} -t ${Math.max(1, Math.round(d))}${udp ? ' -u' : ''}`);
  // The command returns at once; a refusal comes as an error line.
  // `mode=...-server` says it took the command; the echoed command line also starts with the prompt,
  // so the prompt is no sign. A moment more lets its socket be bound before the host connects.
  const refused = await ctx.con.waitFor(from, (ev) => (ev.type === 'error' ? ev : ev.type === 'iperf-start' ? false : null), 5000, 'the board starting its iperf server', ctx.opts.signal).catch(() => ({ value: false as const }));
  if (refused.value) throw new TestFailure(`iperf-${refused.value.code}`, `the board refused the test: ${refused.value.message}`);
  await new Promise((r) => setTimeout(r, 300));
  let board: idfIperf.IdfIperfTestResult | null = null;
  try {
    const boardDone = boardResult(ctx, from, (d + MARGIN_S) * 1000);
    boardDone.catch(() => {});
    let sent: Iperf2Report | null;
    try {
      const client = await runIperf2Client({
        host: ctx.boardIp,
        port,
        durationS: Math.max(1, Math.round(d)),
        udp,
        intervalS: 1,
        binary: ctx.iperf,
        // A small send buffer: what the host counts as sent is then close to what the board received.
        ...(udp ? {} : { windowBytes: 64 * 1024 }),
        ...(udp ? { bandwidth: ctx.opts.udpBitsPerSecond ?? DEFAULT_UDP_BPS } : {}),
        ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}),
      });
      sent = client.summary;
    } catch (err) {
      // An ESP board's UDP server never answers iperf 2's end-of-test datagrams, so the client ends
      // with "read failed: Connection refused" once the board closed its socket. The board's report
      // says what arrived; without one, the host really found no server.
      if (!(udp && err instanceof Error && err.name === 'Iperf2Error')) throw err;
      sent = null;
    }
    board = await boardDone;
    return received(ctx, scenario, iteration, startedAt, sent, board);
  } finally {
    // The board's server keeps listening: stop it (`iperf -a` in the example, `--abort` in iperf-cmd).
    await ctx.con.send(ctx.generation === 1 ? 'iperf -a' : 'iperf --abort').catch(() => {});
    await ctx.con.waitFor(ctx.con.events.length, (ev) => (ev.type === 'iperf-stopped' || ev.type === 'prompt' ? true : null), 3000, 'iperf stop').catch(() => {});
  }
}

function measured(ctx: TestContext, scenario: IdfIperfScenario, iteration: number, startedAt: string, summary: Iperf2Report, intervals: readonly Iperf2Report[], board: idfIperf.IdfIperfTestResult, side: 'rx' | 'tx'): Result {
  const seconds = summary.endS - summary.startS;
  if (!(seconds > 0) || summary.bytes <= 0) throw new TestFailure('no-data', `no data moved (host iperf: ${summary.bytes} bytes in ${seconds} s)`);
  const kib = (bytes: number, s: number) => Math.round((bytes / 1024 / s) * 1000) / 1000;
  const details: Record<string, number | string | boolean> = { generation: board.generation ?? 0, board_bits_per_second: Math.round(board.bitsPerSecond) };
  if (ctx.rssi !== null) details.rssi = ctx.rssi;
  if (ctx.channel !== null) details.channel = ctx.channel;
  return {
    scenario,
    iteration,
    status: 'ok',
    failure: null,
    deviceKiBps: kib(board.bitsPerSecond / 8, 1),
    hostKiBps: kib(summary.bytes, seconds),
    bytes: summary.bytes,
    durationS: seconds,
    startedAt,
    endedAt: new Date().toISOString(),
    hostTxBytes: side === 'tx' ? summary.bytes : 0,
    hostRxBytes: side === 'rx' ? summary.bytes : 0,
    intervals: intervals.map((r) => ({ t: r.endS, bytes: r.bytes })),
    boards: [{ uri: ctx.opts.device, role: side === 'rx' ? 'sender' : 'receiver', bleRole: null, bytes: Math.round(board.bytes), ms: Math.round(board.seconds * 1000), kibps: kib(board.bytes, board.seconds || 1), details }],
    ...(summary.udp ? { udp: { datagrams: summary.udp.datagrams, lost: summary.udp.lost, lossPct: summary.udp.lostPercent, outOfOrder: summary.udp.outOfOrder, duplicates: 0, jitterMs: side === 'rx' ? summary.udp.jitterMs : null } } : {}),
  };
}

/**
 * A download's figure is what the board received (its iperf server's report), as esp-hal downloads
 * count bytes the board acknowledged: the host iperf client's own count includes whatever still sat
 * in socket buffers when it stopped, which on a short test can be several times the real rate.
 * What the host sent is kept as hostTxBytes and in the board report's details.
 */
function received(ctx: TestContext, scenario: IdfIperfScenario, iteration: number, startedAt: string, sent: Iperf2Report | null, board: idfIperf.IdfIperfTestResult): Result {
  if (!(board.seconds > 0) || board.bytes <= 0) throw new TestFailure('no-data', `the board reported no data received${sent ? ` (the host sent ${sent.bytes} bytes)` : ''}`);
  // Without the client's total (UDP, see runDownload) the host side is what the board got.
  const r = measured(ctx, scenario, iteration, startedAt, sent ?? boardAsReport(board), [], board, 'tx');
  const kibps = Math.round((board.bytes / 1024 / board.seconds) * 1000) / 1000;
  const step = board.intervals.filter((i) => !i.fromStart || i.endS - i.startS <= 1.5);
  return {
    ...r,
    hostKiBps: kibps,
    bytes: Math.round(board.bytes),
    durationS: board.seconds,
    intervals: step.map((i) => ({ t: i.endS, bytes: Math.round(i.bytes ?? (i.bitsPerSecond / 8) * (i.endS - i.startS)) })),
    hostTxBytes: sent ? r.hostTxBytes : 0,
    boards: r.boards!.map((b) => ({ ...b, details: sent ? { ...b.details, host_sent_kibps: r.hostKiBps ?? 0 } : b.details })),
  };
}

function boardAsReport(board: idfIperf.IdfIperfTestResult): Iperf2Report {
  const bytes = Math.max(1, Math.round(board.bytes));
  const at = { address: '', port: 0 };
  return { timestamp: '', time: null, source: at, destination: at, transferId: 0, startS: 0, endS: board.seconds, bytes, bitsPerSecond: Math.round(board.bitsPerSecond), udp: null };
}

function failedResult(scenario: Scenario, iteration: number, failure: Failure, startedAt: string): Result {
  return { scenario, iteration, status: 'failed', failure, deviceKiBps: null, hostKiBps: null, bytes: 0, durationS: 0, startedAt, endedAt: new Date().toISOString(), hostTxBytes: 0, hostRxBytes: 0, intervals: [] };
}

async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TestFailure('host-iperf', message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
