import { hostname, platform } from 'node:os';
import type { LineLink, LinkLine } from '@espbench/link';
import { BoardParser, SCENARIO_LABELS, type BoardEvent } from '@espbench/protocol';
import {
  RUN_RECORD_VERSION,
  type Failure,
  type HostInfo,
  type Interval,
  type Result,
  type RunRecord,
  type RunStatus,
  type UpstreamScenario as Scenario,
} from '@espbench/schema';
import { ENDPOINT_OFFSETS, type ConnectionSummary, type Endpoint, type IntervalSample } from '@espbench/traffic';
import type { ConnectionBroker, MeteredConnectionLike } from './broker.js';
import { EventQueue, type QueueEnd } from './event-queue.js';
import type { Phase, Progress } from './progress.js';
import { defaultTimeouts, type PhaseTimeouts } from './timeouts.js';

/** One firmware round, in the order esp-hal's bench firmware runs it. */
export const ROUND: readonly Scenario[] = ['wifi-tcp-download', 'wifi-tcp-upload', 'wifi-tcp-updown'];
export const ENDPOINT_FOR: Record<Scenario, Endpoint> = {
  'wifi-tcp-download': 'download',
  'wifi-tcp-upload': 'upload',
  'wifi-tcp-updown': 'echo',
};

/** Quiet time after which a half-printed block (a panic whose board halted) is taken as complete. */
const IDLE_FLUSH_MS = 300;
/** How long to wait after a result line for the host connection to end before reading its meter. */
const SETTLE_MS = 300;
const LOG_LINE_LIMIT = 20_000;
const LOG_CHAR_LIMIT = 4 * 1024 * 1024;
const RAW_LIMIT = 16 * 1024 * 1024;

export interface DeviceRunOptions {
  runId: string;
  link: LineLink;
  broker: ConnectionBroker;
  iterations: number;
  labels: Record<string, string>;
  listen: string;
  portBase: number;
  /** The firmware's TEST_DURATION. */
  testDurationS: number;
  /** The firmware's pause between rounds. */
  pauseS: number;
  /** The board's IP if known beforehand (simulator); otherwise from `Got IP`, else its first connection. */
  deviceIp?: string | null;
  timeouts?: Partial<PhaseTimeouts>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Each interval sample as it is measured (same values and times as the record will hold). */
  onSample?: (s: LiveSample) => void;
  /** Each result as soon as it is final. */
  onResult?: (r: LiveResult) => void;
  version?: string;
  /** Reset the board into its application (DTR/RTS) before attaching, so the run starts from a fresh boot. */
  reset?: boolean;
  /** One-line notices: the board could not be reset, its serial port went away or came back. */
  onWarning?: (line: string) => void;
}

/** What live consumers (InfluxDB publishing) need to tag a point like the finished record would. */
export interface LiveRun {
  runId: string;
  device: string;
  chip: string | null;
  labels: Record<string, string>;
  hostname: string;
}

export interface LiveSample extends LiveRun {
  scenario: Scenario;
  iteration: number;
  /** The result's startedAt; `interval.t` counts from it in the InfluxDB schema. */
  startedAt: string;
  interval: Interval;
}

export interface LiveResult extends LiveRun {
  result: Result;
}

export interface DeviceRunOutcome {
  record: RunRecord;
  /** Serial bytes as received (bounded). */
  raw: Buffer;
}

type Timed = BoardEvent & { t: number };

/** Ends the run early: the board went away, stopped responding, or the user interrupted. */
class RunEnd extends Error {
  constructor(
    readonly status: Exclude<RunStatus, 'ok'>,
    message: string,
  ) {
    super(message);
  }
}

interface Disruption {
  failure: Failure;
}

interface TestOutcome {
  result: Result;
  disruption: Disruption | null;
}

export async function runDevice(opts: DeviceRunOptions): Promise<DeviceRunOutcome> {
  return new DeviceRun(opts).run();
}

class DeviceRun {
  private parser = new BoardParser();
  private queue = new EventQueue<Timed>();
  /** The board's console; a new link after its serial port was unplugged and came back. */
  private link: LineLink;
  /** Links this run opened itself (after an unplug); the caller closes the one it passed in. */
  private readonly reopened: LineLink[] = [];
  /** Why the serial port went away, while it is away (only links that can be reopened). */
  private lost: string | null = null;
  private serialNumber: string | null = null;
  private readonly timeouts: PhaseTimeouts;
  private readonly startMs = Date.now();
  private readonly results: Result[] = [];
  private readonly log: RunRecord['log'] = [];
  private logChars = 0;
  private raw: Buffer[] = [];
  private rawBytes = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private chip: string | null = null;
  private resetReason: string | null = null;
  private ip: string | null;
  private iteration = 0;
  private scenario: Scenario | null = null;
  private liveKiBps: number | null = null;
  private last: string | null = null;

  constructor(private readonly opts: DeviceRunOptions) {
    this.timeouts = defaultTimeouts(opts.testDurationS, opts.pauseS, opts.timeouts);
    this.ip = opts.deviceIp ?? null;
    this.link = opts.link;
  }

  private readonly onLinkLine = (l: LinkLine) => this.onLine(l);
  private readonly onLinkData = (chunk: Buffer) => this.onData(chunk);
  private readonly onLinkClose = (reason: string | null) => {
    // A serial port that vanished (USB unplug) may come back: the run waits for it between rounds.
    if (reason !== null && this.link.reopenable) this.lost = reason;
    this.queue.close(reason ?? 'the serial link was closed');
  };

  private attach(link: LineLink): void {
    link.on('line', this.onLinkLine);
    link.on('data', this.onLinkData);
    link.on('close', this.onLinkClose);
    if (link.isClosed) this.queue.close('the serial link was closed');
  }

  private detach(link: LineLink): void {
    link.off('line', this.onLinkLine);
    link.off('data', this.onLinkData);
    link.off('close', this.onLinkClose);
  }

  async run(): Promise<DeviceRunOutcome> {
    this.attach(this.link);
    let status: RunStatus = 'ok';
    let error: string | null = null;
    try {
      this.serialNumber = (await this.link.identify())?.serialNumber ?? null;
      if (this.opts.reset) {
        const reset = await this.link.reset();
        if (!reset.done) this.opts.onWarning?.(`${this.link.uri} was not reset: ${reset.reason}; attaching to the board as it runs`);
      }
      await this.rounds();
      const failures = this.results.filter((r) => r.status === 'failed').length;
      if (failures) {
        status = 'failed';
        error = `${failures} of ${this.results.length} results failed; see each result's failure`;
      }
    } catch (err) {
      if (!(err instanceof RunEnd)) throw err;
      status = err.status;
      error = err.message;
    } finally {
      this.detach(this.link);
      if (this.idleTimer) clearTimeout(this.idleTimer);
      await Promise.all(this.reopened.map((l) => l.close().catch(() => {})));
    }
    this.progress(status === 'ok' ? 'done' : status === 'aborted' ? 'aborted' : 'failed');
    return { record: this.record(status, error), raw: Buffer.concat(this.raw) };
  }

  private async rounds(): Promise<void> {
    const { iterations } = this.opts;
    this.progress('attaching');
    let start = await this.waitForRound(this.timeouts.attachS, 'attach');
    for (this.iteration = 1; this.iteration <= iterations; this.iteration++) {
      const disrupted = await this.round(start);
      if (this.iteration === iterations) break;
      if (this.lost) await this.reconnect();
      this.progress(disrupted ? 'recovering' : 'waiting', null);
      const waitS = disrupted ? this.timeouts.recoverS : this.opts.pauseS + this.timeouts.nextRoundMarginS;
      start = await this.waitForRound(waitS, disrupted ? 'recover' : 'next-round');
    }
  }

  /** Runs the three tests of one round; true when a reset, panic or stall cut it short. */
  private async round(start: Timed & { type: 'test-start' }): Promise<boolean> {
    let event: Timed = start;
    for (const [index, scenario] of ROUND.entries()) {
      if (event.type !== 'test-start' || event.scenario !== scenario) {
        // The firmware always runs the three in order; anything else means it restarted its loop.
        this.failRest(index, { kind: 'out-of-order', message: `expected ${scenario} but the board started ${describe(event)}` });
        return true;
      }
      const { result, disruption } = await this.test(scenario, event);
      this.pushResult(result);
      this.last = result.status === 'ok' ? `${scenario} ${result.hostKiBps?.toFixed(1)} KiB/s` : `${scenario} failed: ${result.failure?.kind}`;
      if (disruption) {
        this.failRest(index + 1, { kind: 'not-run', message: `not run: ${disruption.failure.message}` });
        return true;
      }
      if (index === ROUND.length - 1) break;
      const next = await this.next(this.timeouts.nextTestS, `the board did not start the test after ${scenario}`);
      if ('failure' in next) {
        this.failRest(index + 1, { ...next.failure, message: `not run: ${next.failure.message}` });
        return true;
      }
      event = next;
    }
    return false;
  }

  private failRest(from: number, failure: Failure): void {
    const now = new Date().toISOString();
    for (const scenario of ROUND.slice(from)) this.pushResult(this.failed(scenario, failure, now, now));
  }

  private pushResult(result: Result): void {
    this.results.push(result);
    this.opts.onResult?.({ ...this.live(), result });
  }

  private live(): LiveRun {
    return { runId: this.opts.runId, device: this.link.uri, chip: this.chip, labels: this.opts.labels, hostname: hostname() };
  }

  private async test(scenario: Scenario, start: Timed): Promise<TestOutcome> {
    this.scenario = scenario;
    this.liveKiBps = null;
    this.progress('connecting');
    const startedAt = new Date(start.t).toISOString();
    const endpoint = ENDPOINT_FOR[scenario];
    const fail = (failure: Failure, disrupted = false): TestOutcome => ({
      result: this.failed(scenario, failure, startedAt, new Date().toISOString()),
      disruption: disrupted ? { failure } : null,
    });

    let ev = await this.next(this.timeouts.connectingS, `no "connecting to ..." within ${this.timeouts.connectingS} s of "Testing ${SCENARIO_LABELS[scenario]}..."`);
    if ('failure' in ev) return fail(ev.failure, true);
    if (ev.type !== 'connecting') return this.unexpected(scenario, ev, startedAt);
    const target = `${ev.host}:${ev.port}`;

    // Claim the host connection while the board connects; cancelled if it never does.
    const claimAbort = new AbortController();
    const claim = this.opts.broker.claim(endpoint, this.ip, start.t - 1000, (this.timeouts.connectS + this.timeouts.acceptS) * 1000, claimAbort.signal);

    ev = await this.next(this.timeouts.connectS, `no "connected, testing..." or "connect error" within ${this.timeouts.connectS} s of connecting to ${target}`);
    if ('failure' in ev || ev.type !== 'connected') {
      claimAbort.abort();
      if ('failure' in ev) return fail(ev.failure, true);
      if (ev.type === 'connect-error') {
        return fail({
          kind: 'connect-error',
          message: `connect error: ${ev.error} (board could not reach ${target}; is HOST_IP this machine and is the port open in its firewall?)`,
        });
      }
      return this.unexpected(scenario, ev, startedAt);
    }
    const connectedAt = ev.t;
    this.progress('testing');

    const conn = await Promise.race([claim, sleep(this.timeouts.acceptS * 1000).then(() => null)]);
    // Live samples stop where the record's intervals stop, so both write the same points.
    let onInterval: ((s: IntervalSample) => void) | null = null;
    claimAbort.abort();
    if (conn) {
      if (!this.ip) this.ip = conn.remoteAddress;
      let prevT = 0;
      let held: Interval | null = null;
      conn.on('interval', (onInterval = (s) => {
        const bytes = endpoint === 'upload' ? s.rxBytes : s.ackedTxBytes;
        if (s.t > prevT) this.liveKiBps = bytes / 1024 / (s.t - prevT);
        prevT = s.t;
        // One behind: the last sample of a connection may be merged into the one before it.
        if (held) this.opts.onSample?.({ ...this.live(), scenario, iteration: this.iteration, startedAt, interval: held });
        held = { t: round3(s.t), bytes };
        if (this.scenario === scenario) this.progress('testing');
      }));
    }

    const troubles: string[] = [];
    let printed: number | null = null;
    const deadlineS = this.opts.testDurationS + this.timeouts.resultMarginS;
    const resultBy = connectedAt + deadlineS * 1000;
    let resultAt = 0;
    for (;;) {
      const left = Math.max(0, (resultBy - Date.now()) / 1000);
      const next = await this.next(left, `no "${SCENARIO_LABELS[scenario]}: N kB/s" within ${deadlineS.toFixed(0)} s of connecting (board stalled?)`);
      if ('failure' in next) return fail(next.failure, true);
      if (next.type === 'test-result' && next.scenario === scenario) {
        printed = next.kibps;
        resultAt = next.t;
        break;
      }
      if (next.type === 'read-eof') troubles.push('read EOF');
      else if (next.type === 'read-error') troubles.push(`read error: ${next.error}`);
      else if (next.type === 'write-error') troubles.push(`write error: ${next.error}`);
      else if (next.type === 'write-zero') troubles.push('write returned zero');
      else if (next.type === 'test-start') return this.unexpected(scenario, next, startedAt);
    }
    const endedAt = new Date().toISOString();

    if (!conn) {
      return fail({
        kind: 'no-connection',
        message: `the board connected to ${target} but no connection reached this host's ${endpoint} port ${this.opts.portBase + ENDPOINT_OFFSETS[endpoint]} from ${this.ip ?? 'it'}; is HOST_IP this machine?`,
      });
    }
    const summary = await settle(conn);
    if (onInterval) conn.off('interval', onInterval);
    if (troubles.length) {
      return fail({ kind: 'transfer-error', message: `${troubles.join('; ')} (board printed ${printed} kB/s for a cut-short test)` });
    }
    return { result: this.ok(scenario, printed, withBoardEnd(conn, summary, resultAt), startedAt, endedAt), disruption: null };
  }

  private unexpected(scenario: Scenario, ev: Timed, startedAt: string): TestOutcome {
    const failure: Failure = { kind: 'out-of-order', message: `during ${scenario} the board printed ${describe(ev)}` };
    return { result: this.failed(scenario, failure, startedAt, new Date().toISOString()), disruption: { failure } };
  }

  /**
   * The next event that matters to the round. Resets, panics and stalls come back as a failure;
   * a closed link or Ctrl-C ends the run.
   */
  private async next(timeoutS: number, stalled: string): Promise<Timed | { failure: Failure }> {
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const ev = await this.queue.next(deadline, this.opts.signal);
      if (isEnd(ev)) {
        if (ev.kind === 'timeout') return { failure: { kind: 'timeout', message: stalled } };
        if (ev.kind === 'closed' && this.lost) {
          return { failure: { kind: 'port-disconnected', message: `${this.lost} during the test (USB cable unplugged or the board lost power); the rest of the round is not measured` } };
        }
        throw this.endOf(ev);
      }
      if (ev.type === 'reset') {
        return { failure: { kind: 'reset', message: `board reset (${ev.resetReason})`, resetReason: ev.resetReason } };
      }
      if (ev.type === 'panic-begin') return { failure: await this.panic() };
      if (ev.type === 'panic') return { failure: panicFailure(ev) };
      if (RELEVANT.has(ev.type)) return ev;
    }
  }

  private async panic(): Promise<Failure> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const ev = await this.queue.next(deadline, this.opts.signal);
      if (isEnd(ev)) {
        if (ev.kind === 'aborted') throw this.endOf(ev);
        return { kind: 'panic', message: 'board panicked (panic block incomplete)' };
      }
      if (ev.type === 'panic') return panicFailure(ev);
    }
  }

  /** Skip everything up to the start of a round (`Testing download...`). */
  private async waitForRound(timeoutS: number, why: 'attach' | 'next-round' | 'recover'): Promise<Timed & { type: 'test-start' }> {
    let deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const ev = await this.queue.next(deadline, this.opts.signal);
      if (isEnd(ev) && ev.kind === 'closed' && this.lost) {
        // Gone between rounds (or while attaching): no test was cut short. The board boots again.
        await this.reconnect();
        if (why === 'next-round') why = 'recover';
        timeoutS = Math.max(timeoutS, this.timeouts.recoverS);
        deadline = Date.now() + timeoutS * 1000;
        continue;
      }
      if (isEnd(ev)) {
        if (ev.kind !== 'timeout') throw this.endOf(ev);
        const what =
          why === 'attach'
            ? `no "Testing download..." from the board within ${timeoutS} s; is it running esp-hal's bench firmware (qa-test embassy_wifi_bench) and connected to WiFi?`
            : why === 'recover'
              ? `the board did not start a new round within ${timeoutS} s after the failure`
              : `the board did not start the next round within ${timeoutS} s`;
        throw new RunEnd('failed', what);
      }
      if (ev.type === 'test-start' && ev.scenario === 'wifi-tcp-download') return ev;
    }
  }

  /**
   * The serial port went away (USB unplug): wait for it to come back at the same path (with the same
   * USB serial number when it has one), then read the new link as if it were the old one.
   */
  private async reconnect(): Promise<void> {
    const lost = this.lost ?? 'the serial port went away';
    const waitS = this.timeouts.reconnectS;
    this.progress('reconnecting', null);
    this.opts.onWarning?.(`${this.link.uri}: ${lost}; waiting up to ${waitS} s for it to come back${this.serialNumber ? ` (USB serial number ${this.serialNumber})` : ''}`);
    let link: LineLink;
    try {
      link = await this.link.reopen({ timeoutMs: waitS * 1000, serialNumber: this.serialNumber, signal: this.opts.signal });
    } catch (err) {
      if (this.opts.signal?.aborted) throw new RunEnd('aborted', 'interrupted; results so far are kept');
      throw new RunEnd('failed', `${lost}: ${(err as Error).message}`);
    }
    this.detach(this.link);
    this.link = link;
    this.reopened.push(link);
    this.lost = null;
    this.queue = new EventQueue<Timed>();
    this.parser = new BoardParser();
    this.attach(link);
    if (this.opts.reset) {
      // A board that was plugged in has booted already, its banner unheard: boot it again, in view.
      const reset = await link.reset();
      if (!reset.done) this.opts.onWarning?.(`${link.uri} was not reset after it came back: ${reset.reason}`);
    }
    this.opts.onWarning?.(`${link.uri} is back; going on with round ${Math.min(this.iteration + 1, this.opts.iterations)} of ${this.opts.iterations}`);
  }

  private endOf(end: QueueEnd): RunEnd {
    if (end.kind === 'aborted') return new RunEnd('aborted', 'interrupted; results so far are kept');
    return new RunEnd('failed', end.kind === 'closed' ? `serial link ended: ${end.reason}` : 'timed out');
  }

  private onLine(l: LinkLine): void {
    this.keepLog(l);
    this.enqueue(this.parser.feed(l.line), l.t);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.enqueue(this.parser.flush(), Date.now()), IDLE_FLUSH_MS);
  }

  private enqueue(events: BoardEvent[], t: number): void {
    for (const ev of events) {
      this.observe(ev);
      this.queue.push({ ...ev, t });
    }
  }

  /** Facts about the board, whenever they appear. */
  private observe(ev: BoardEvent): void {
    if (ev.type === 'rom' && ev.chip) this.chip = ev.chip;
    if (ev.type === 'reset') {
      if (ev.chip) this.chip = ev.chip;
      this.resetReason = ev.resetReason;
    }
    if (ev.type === 'got-ip') this.ip = ev.ip;
  }

  private keepLog(l: LinkLine): void {
    if (this.log.length >= LOG_LINE_LIMIT || this.logChars >= LOG_CHAR_LIMIT) return;
    const line = l.droppedBytes ? `${l.line} [${l.droppedBytes} more bytes dropped]` : l.line;
    this.logChars += line.length;
    this.log.push({ t: round3((l.t - this.startMs) / 1000), line });
  }

  private onData(chunk: Buffer): void {
    if (this.rawBytes >= RAW_LIMIT) return;
    const part = chunk.subarray(0, RAW_LIMIT - this.rawBytes);
    this.raw.push(Buffer.from(part));
    this.rawBytes += part.length;
  }

  private ok(scenario: Scenario, deviceKiBps: number | null, s: ConnectionSummary, startedAt: string, endedAt: string): Result {
    const tx = s.estimate.direction === 'tx';
    return {
      scenario,
      iteration: this.iteration,
      status: 'ok',
      failure: null,
      deviceKiBps,
      hostKiBps: round3(s.estimate.kibps),
      bytes: s.estimate.bytes,
      durationS: round3(s.estimate.durationS),
      startedAt,
      endedAt,
      hostTxBytes: s.txBytes,
      hostRxBytes: s.rxBytes,
      intervals: sameMillisecondMerged(s.intervals.map((i) => ({ t: round3(i.t), bytes: tx ? i.ackedTxBytes : i.rxBytes }))),
    };
  }

  private failed(scenario: Scenario, failure: Failure, startedAt: string, endedAt: string): Result {
    return {
      scenario,
      iteration: this.iteration,
      status: 'failed',
      failure,
      deviceKiBps: null,
      hostKiBps: null,
      bytes: 0,
      durationS: 0,
      startedAt,
      endedAt,
      hostTxBytes: 0,
      hostRxBytes: 0,
      intervals: [],
    };
  }

  private progress(phase: Phase, scenario: Scenario | null = this.scenario): void {
    this.scenario = scenario;
    this.opts.onProgress?.({
      device: this.link.uri,
      iteration: Math.min(Math.max(this.iteration, 1), this.opts.iterations),
      iterations: this.opts.iterations,
      scenario,
      phase,
      liveKiBps: phase === 'testing' ? this.liveKiBps : null,
      last: this.last,
    });
  }

  private record(status: RunStatus, error: string | null): RunRecord {
    const host: HostInfo = {
      hostname: hostname(),
      platform: platform(),
      espbenchVersion: this.opts.version ?? '0.0.0',
      listen: this.opts.listen,
      portBase: this.opts.portBase,
    };
    return {
      version: RUN_RECORD_VERSION,
      runId: this.opts.runId,
      startedAt: new Date(this.startMs).toISOString(),
      endedAt: new Date().toISOString(),
      status,
      error,
      device: { uri: this.link.uri, chip: this.chip, ip: this.ip, resetReason: this.resetReason, serialNumber: this.serialNumber, mac: null },
      labels: this.opts.labels,
      host,
      testDurationS: this.opts.testDurationS,
      iterations: this.opts.iterations,
      results: this.results,
      log: this.log,
    };
  }
}

const RELEVANT = new Set<BoardEvent['type']>([
  'test-start',
  'connecting',
  'connected',
  'connect-error',
  'read-error',
  'write-error',
  'read-eof',
  'write-zero',
  'test-result',
]);

function isEnd(v: Timed | QueueEnd): v is QueueEnd {
  return !('type' in v);
}

function panicFailure(ev: Extract<BoardEvent, { type: 'panic' }>): Failure {
  return {
    kind: 'panic',
    message: `board panicked${ev.location ? ` at ${ev.location}` : ''}: ${ev.message}`,
    panic: { message: ev.message, location: ev.location, backtrace: ev.backtrace },
  };
}

function describe(ev: Timed): string {
  return ev.type === 'test-start' ? `"${ev.scenario}"` : `"${ev.type}"`;
}

/**
 * A host-to-board figure counts only what the board read, and it stopped reading when it printed its
 * result: bytes acknowledged after that line (into its receive buffer, or echoed back in flight) are
 * cut off, and the test's duration is the board's, not the last acknowledged window's.
 */
export function withBoardEnd(conn: MeteredConnectionLike, s: ConnectionSummary, resultAt: number): ConnectionSummary {
  if (s.estimate.direction !== 'tx' || !resultAt) return s;
  const estimate = conn.estimateUntil(resultAt);
  const boardS = (resultAt - s.acceptedAt) / 1000;
  if (boardS > estimate.durationS) {
    estimate.durationS = boardS;
    estimate.bytes = Math.round(estimate.kibps * 1024 * boardS);
  }
  return { ...s, estimate };
}

export async function settle(conn: MeteredConnectionLike): Promise<ConnectionSummary> {
  const closed = await Promise.race([conn.closed, sleep(SETTLE_MS).then(() => null)]);
  return closed ?? conn.snapshot();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The last sample of a connection is taken when it closes, often a few milliseconds after the
 * timer's last one: two samples in one millisecond would be one point in a time series database,
 * and a sliver of a sample drawn as throughput looks like a dropout. Such a tail's bytes join the
 * sample before it, so the bytes still add up. (Live samples lag one behind, so the tail is never
 * published live and the points written live are always among the record's.)
 */
export function sameMillisecondMerged(intervals: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const i of intervals) {
    const last = out[out.length - 1];
    if (last && last.t === i.t) last.bytes += i.bytes;
    else out.push({ ...i });
  }
  if (out.length >= 3) {
    const spans = out.slice(0, -1).map((x, k) => x.t - (k ? out[k - 1]!.t : 0));
    const typical = [...spans].sort((a, b) => a - b)[Math.floor(spans.length / 2)]!;
    const tail = out[out.length - 1]!;
    const prev = out[out.length - 2]!;
    if (tail.t - prev.t < 0.25 * typical) {
      prev.bytes += tail.bytes;
      out.pop();
    }
  }
  return out;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
