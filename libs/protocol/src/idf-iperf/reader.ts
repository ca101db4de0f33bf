import type { IdfIperfEvent, IdfIperfEventOf, IdfIperfGeneration, IdfIperfParseOptions, IdfIperfReport } from './events.js';
import { parseIdfIperfLine } from './lines.js';

/** The outcome of one iperf test as the board reported it. */
export interface IdfIperfTestResult {
  generation: IdfIperfGeneration | null;
  /** From the `mode=...` line when it was seen. */
  protocol: 'tcp' | 'udp' | null;
  role: 'client' | 'server' | null;
  /** Seconds covered: generation 3's summary span, else the end of the last interval (max over instances). */
  seconds: number;
  /**
   * Bytes moved (summed over instances). Generation 3 prints them (rounded to its two decimals);
   * generations 1 and 2 print only rates, so bytes are estimated from rate x duration.
   */
  bytes: number;
  bytesEstimated: boolean;
  /** The summary's rate when every instance printed one, else bytes x 8 / seconds. Summed over instances. */
  bitsPerSecond: number;
  /** True when every instance's summary line was seen; false for a test cut short (abort, reset, new test). */
  complete: boolean;
  intervals: IdfIperfReport[];
  summaries: IdfIperfReport[];
}

interface InstanceState {
  intervals: IdfIperfReport[];
  summary: IdfIperfReport | null;
}

/**
 * Follows the report lines of one test after another and returns each test's result once it is known:
 * when every instance's summary was seen, or, for a test that ended without one, at `iperf exit` /
 * `DONE.IPERF_STOP`, at the next test's start, or on flush().
 *
 * Upstream prints the summary in the interval layout, starting at 0; the first `0-N` line of an instance
 * is its first interval and a later one its summary. A 0-N line arriving before any interval (a capture
 * that missed the intervals) is taken as an interval, so such a test ends up incomplete.
 */
export class IdfIperfReportReader {
  private readonly opts: IdfIperfParseOptions;
  private instances = new Map<number, InstanceState>();
  private generation: IdfIperfGeneration | null = null;
  private start: IdfIperfEventOf<'iperf-start'> | null = null;
  private pendingStart: IdfIperfEventOf<'iperf-start'> | null = null;

  constructor(opts: IdfIperfParseOptions = {}) {
    this.opts = opts;
  }

  /** Feeds one console line; returns a finished test's result, or null. */
  push(line: string): IdfIperfTestResult | null {
    const event = parseIdfIperfLine(line, this.opts);
    return event ? this.pushEvent(event) : null;
  }

  /** Feeds an already parsed event. */
  pushEvent(event: IdfIperfEvent): IdfIperfTestResult | null {
    switch (event.type) {
      case 'iperf-start':
        // The `mode=` line is printed before iperf checks whether a test is running, so it only becomes
        // the next test's description once that test's reports begin (header or first report).
        this.pendingStart = event;
        return null;
      case 'error':
        if (event.code === 'iperf-running') this.pendingStart = null;
        return null;
      case 'report-header': {
        // Generation 3 with -P prints one header per instance before any report: only a header that
        // follows reports begins a new test.
        const previous = this.hasReports() ? this.finish() : null;
        this.generation = event.generation;
        this.promoteStart();
        return previous;
      }
      case 'report':
        return this.onReport(event);
      case 'iperf-stopped':
        return this.hasReports() ? this.finish() : null;
      default:
        return null;
    }
  }

  /** True while reports of an unfinished test are held. */
  get inProgress(): boolean {
    return this.hasReports();
  }

  /** Ends the current test now (stream closed, timeout); returns its result if it had any report. */
  flush(): IdfIperfTestResult | null {
    return this.hasReports() ? this.finish() : null;
  }

  private onReport(report: IdfIperfReport): IdfIperfTestResult | null {
    let previous: IdfIperfTestResult | null = null;
    // A generation change without a header means a different firmware or a lost header: new test.
    if (this.generation !== null && this.generation !== report.generation && this.hasReports()) previous = this.finish();
    this.generation = report.generation;

    const key = report.id ?? 0;
    let state = this.instances.get(key);
    if (state?.summary) {
      // This instance already finished: the report belongs to a new test whose header was lost.
      previous ??= this.finish();
      state = undefined;
    }
    if (!this.hasReports()) this.promoteStart();
    if (!state) {
      state = { intervals: [], summary: null };
      this.instances.set(key, state);
    }
    if (report.fromStart && state.intervals.length > 0) {
      state.summary = report;
      const done = [...this.instances.values()].every((s) => s.summary !== null);
      if (done) return previous ?? this.finish();
      return previous;
    }
    state.intervals.push(report);
    return previous;
  }

  private promoteStart(): void {
    if (this.pendingStart) {
      this.start = this.pendingStart;
      this.pendingStart = null;
    }
  }

  private hasReports(): boolean {
    for (const s of this.instances.values()) if (s.intervals.length > 0 || s.summary) return true;
    return false;
  }

  private finish(): IdfIperfTestResult | null {
    if (!this.hasReports()) {
      this.instances.clear();
      return null;
    }
    const intervals: IdfIperfReport[] = [];
    const summaries: IdfIperfReport[] = [];
    let bytes = 0;
    let bytesEstimated = false;
    let seconds = 0;
    let summaryBps = 0;
    let complete = true;
    for (const state of this.instances.values()) {
      intervals.push(...state.intervals);
      if (state.summary) summaries.push(state.summary);
      else complete = false;

      // Generation 3's summary ends at the true end of the test. Generations 1 and 2 label it with the
      // configured time (`0-  30 sec` after an abort at 4 s) while computing over the elapsed time.
      const lastEnd = state.intervals.reduce((end, r) => Math.max(end, r.endS), 0);
      const summarySpan = state.summary ? state.summary.endS - state.summary.startS : 0;
      const span = state.summary?.generation === 3 || lastEnd === 0 ? summarySpan : lastEnd;
      seconds = Math.max(seconds, span);

      if (state.summary?.bytes != null) {
        bytes += state.summary.bytes;
      } else if (state.intervals.length > 0 && state.intervals.every((r) => r.bytes !== null)) {
        bytes += state.intervals.reduce((sum, r) => sum + (r.bytes ?? 0), 0);
      } else {
        bytesEstimated = true;
        const source = state.intervals.length > 0 ? state.intervals : state.summary ? [state.summary] : [];
        bytes += Math.round(source.reduce((sum, r) => sum + (r.bitsPerSecond * (r.endS - r.startS)) / 8, 0));
      }
      summaryBps += state.summary?.bitsPerSecond ?? 0;
    }
    const result: IdfIperfTestResult = {
      generation: this.generation,
      protocol: this.start?.protocol ?? null,
      role: this.start?.role ?? null,
      seconds,
      bytes,
      bytesEstimated,
      bitsPerSecond: complete ? summaryBps : seconds > 0 ? (bytes * 8) / seconds : 0,
      complete,
      intervals,
      summaries,
    };
    this.instances = new Map();
    this.start = null;
    return result;
  }
}
