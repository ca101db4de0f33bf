import type { Rng } from '../wifi-bench-sim/rng.js';
import type { Radio, V1SimOptions } from './options.js';
import type { ErrorCode, Message, RunSpec } from './protocol.js';

/** What a run needs from its board. */
export interface RunEnv {
  options: V1SimOptions;
  airDir: string;
  bleAddress: string;
  clock: () => number;
  rng: Rng;
  wifiRssi: number;
  bleRssi: number;
  send(message: Message): void;
  log(text: string): void;
  /** Current airtime share of the radio (coexistence model). */
  share(radio: Radio): number;
  /** The run began moving data (after `start` was sent). */
  started(run: Run): void;
  /** The run sent its `result` or `error`. */
  ended(run: Run): void;
  /** Asynchronous clean-up (air registry) the board waits for before it powers off. */
  cleanup(work: Promise<void>): void;
}

export type RunRole = 'sender' | 'receiver' | 'echo';
export type RunState = 'pending' | 'running' | 'ended';

export const INTERVAL_MS = 1000;

/**
 * One protocol run: `start` when data begins, an `interval` every second (and a last, partial one at the
 * end, so the intervals add up to `bytes`), then `result` at `duration_ms` or on `stop`, or `error`.
 */
export abstract class Run {
  state: RunState = 'pending';
  startMs = 0;
  deadlineMs = Infinity;
  protected readonly controller = new AbortController();
  private intervalTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private lastIntervalMs = 0;
  private lastIntervalBytes = 0;
  private intervalsSent = 0;

  abstract readonly role: RunRole;

  constructor(
    protected readonly env: RunEnv,
    readonly spec: RunSpec,
    /** 1-based number of the `run` command on this board (fault numbering). */
    readonly number: number,
  ) {}

  get id(): string {
    return this.spec.id;
  }

  get radio(): Radio {
    return this.spec.radio;
  }

  /** Connects / advertises / scans, then calls markStarted() once data can move. */
  protected abstract begin(): Promise<void>;
  /** Payload bytes in the role's direction so far. */
  protected abstract counted(): number;
  protected abstract details(): Record<string, unknown>;
  /** Stops moving data: at the deadline (moving what was due by it) or early; closes gracefully. */
  protected abstract finishIo(atDeadline: boolean): void;
  /** Drops every socket and timer at once (RST). */
  protected abstract teardown(): void;
  /** Stops all I/O and timers but leaves connections open (a panicked CPU). */
  protected abstract halt(): void;
  /** The radio's airtime share changed. */
  abstract setShare(share: number): void;

  /**
   * Before an interval sample: a sender moves what was due by now. After the event loop was held up (a loaded
   * machine) the sample's timer can run before the pacer's, which would count bytes only up to the hold-up.
   */
  protected catchUp(): void {}

  launch(): void {
    this.begin().catch((err: unknown) => {
      if (this.state === 'ended' || this.controller.signal.aborted) return;
      this.fail('internal', `simulator: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /** `stop` command: ends with the result so far (bytes 0 when data never began). */
  stop(): void {
    if (this.state === 'ended') return;
    if (this.state === 'pending') {
      this.controller.abort(new Error('stopped'));
      this.teardown();
    } else {
      this.finishIo(false);
    }
    this.complete(this.env.clock());
  }

  /** Reboot or power-off: no more output, every connection dropped. */
  abort(): void {
    this.state = 'ended';
    this.clearTimers();
    this.controller.abort(new Error('aborted'));
    this.teardown();
  }

  /** Panic: no more output and no I/O, connections stay open until abort(). */
  freeze(): void {
    this.state = 'ended';
    this.clearTimers();
    this.halt();
  }

  protected now(): number {
    return Math.min(this.env.clock(), this.deadlineMs);
  }

  protected markStarted(): void {
    if (this.state !== 'pending') return;
    this.state = 'running';
    this.startMs = this.env.clock();
    this.deadlineMs = this.startMs + this.spec.durationMs;
    this.env.send({ type: 'start', id: this.id, scenario: this.spec.scenario });
    this.armTimers();
    this.env.started(this);
  }

  /**
   * A receiver whose data began later than its `start` (the sender's process was slow to get going) moves its
   * start to now, so `ms` and the deadline count from the first byte. Only before the first interval.
   */
  protected rebaseStart(): void {
    const now = this.env.clock();
    if (this.state !== 'running' || this.intervalsSent > 0 || now <= this.startMs) return;
    this.clearTimers();
    this.startMs = now;
    this.deadlineMs = now + this.spec.durationMs;
    this.armTimers();
  }

  private armTimers(): void {
    this.scheduleInterval();
    this.deadlineTimer = setTimeout(() => {
      if (this.state === 'running') this.onDeadline();
    }, Math.max(0, this.deadlineMs - this.env.clock()));
  }

  /** `duration_ms` is up: stop moving data (moving what was due by the deadline) and report. */
  protected onDeadline(): void {
    this.finishIo(true);
    this.complete(this.deadlineMs);
  }

  /**
   * The peer ended the transfer cleanly (TCP FIN from the host, BLE END from the peer board). `peerMs`: how
   * long the transfer lasted by the peer's account (a BLE sender's), used instead of our own clock.
   */
  protected peerEnded(peerMs?: number): void {
    if (this.state !== 'running') return;
    this.finishIo(false);
    this.complete(peerMs === undefined ? this.env.clock() : this.startMs + peerMs);
  }

  /** `ms` of a result ending at `endMs`. */
  protected elapsedMs(endMs: number): number {
    return Math.max(0, Math.round(Math.min(endMs, this.deadlineMs) - this.startMs));
  }

  protected complete(endMs: number): void {
    if (this.state === 'ended') return;
    const wasRunning = this.state === 'running';
    this.state = 'ended';
    this.clearTimers();
    const bytes = wasRunning ? this.counted() : 0;
    const ms = wasRunning ? this.elapsedMs(endMs) : 0;
    if (wasRunning && (ms > this.lastIntervalMs || bytes > this.lastIntervalBytes)) {
      this.sendInterval(Math.max(ms, this.lastIntervalMs), bytes);
    }
    this.env.send({ type: 'result', id: this.id, scenario: this.spec.scenario, role: this.role, bytes, ms, details: this.details() });
    this.env.ended(this);
  }

  protected fail(code: ErrorCode, message: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.clearTimers();
    this.controller.abort(new Error(code));
    this.teardown();
    this.env.send({ type: 'error', id: this.id, code, message });
    this.env.ended(this);
  }

  /** Ticks at whole seconds strictly before the deadline; the deadline's sample is the final one. */
  private scheduleInterval(): void {
    const nominal = (this.intervalsSent + 1) * INTERVAL_MS;
    if (nominal >= this.spec.durationMs) return;
    this.intervalTimer = setTimeout(
      () => {
        if (this.state !== 'running') return;
        this.catchUp();
        // Timers may fire a fraction of a millisecond early on the monotonic clock: never report less.
        this.sendInterval(Math.max(nominal, Math.round(this.env.clock() - this.startMs)), this.counted());
        this.scheduleInterval();
      },
      Math.max(0, this.startMs + nominal - this.env.clock()),
    );
  }

  private sendInterval(tMs: number, total: number): void {
    this.intervalsSent++;
    this.env.send({ type: 'interval', id: this.id, t_ms: tMs, bytes: total - this.lastIntervalBytes });
    this.lastIntervalMs = tMs;
    this.lastIntervalBytes = total;
  }

  private clearTimers(): void {
    clearTimeout(this.intervalTimer);
    clearTimeout(this.deadlineTimer);
  }
}
