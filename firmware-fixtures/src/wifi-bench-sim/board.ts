import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { sleep, untilAborted } from './abortable.js';
import { bootloaderLines, romBanner } from './banner.js';
import type { ResetCause } from './chips.js';
import { DEFAULT_PORT_BASE } from './firmware.js';
import { garbageBytes } from './garbage.js';
import type { Fault, SimOptions } from './options.js';
import { panicLines, simulatedPanic } from './panic.js';
import { createRng, type Rng } from './rng.js';
import { runRound, type TestResult } from './round.js';
import { SerialOut } from './serial.js';
import { parseSimUri } from './sim-uri.js';
import { StallGate } from './stall-gate.js';
import type { SocketSlot } from './test-phase.js';
import { wifiStartupScript } from './wifi-lines.js';

export interface SimulatedBoardInit {
  options: SimOptions;
  /** The collector host's IPv4 address (the firmware's HOST_IP). */
  host: string;
  /** Port of the download endpoint; upload is +1, upload+download +2. Default 4321. */
  portBase?: number;
  /** Where the board's UART TX goes. */
  serial: Writable;
  /** Monotonic milliseconds; default performance.now. */
  clock?: () => number;
}

export interface SimulatedBoardEvents {
  /** A serial line as printed (without terminator); not emitted for garbage bytes. */
  line: [line: string];
  /** The ROM banner for this reset is about to be printed. */
  boot: [reset: ResetCause];
  /** A `<test>: N kB/s` line, with the byte count behind it. */
  result: [result: TestResult];
  fault: [fault: Fault];
  /** All `rounds` done; the board stays up, printing nothing. */
  idle: [];
  error: [error: Error];
}

/** Why the current boot ended. */
class BoardInterrupt extends Error {
  constructor(readonly reason: 'reset' | 'panic' | 'stop') {
    super(`board ${reason}`);
  }
}

/**
 * A stand-in for an Espressif board running esp-hal's unmodified WiFi bench firmware: serial output to a
 * Writable, real TCP to the host's bench endpoints from its own 127.0.0.N source address.
 */
export class SimulatedBoard extends EventEmitter<SimulatedBoardEvents> {
  readonly options: SimOptions;
  readonly host: string;
  readonly portBase: number;
  private readonly gate = new StallGate();
  private readonly serial: SerialOut;
  private readonly slot: SocketSlot = { current: null };
  private readonly rng: Rng;
  private readonly clock: () => number;
  private readonly stopController = new AbortController();
  private bootController = new AbortController();
  private crash: { cause: ResetCause; hangMs: number } | null = null;
  private running: Promise<void> | null = null;
  /** A board is powered until stop(); an idle paused socket alone would let Node exit. */
  private keepAlive: NodeJS.Timeout | undefined;
  private rounds = 0;

  static fromUri(uri: string, init: Omit<SimulatedBoardInit, 'options'>): SimulatedBoard {
    return new SimulatedBoard({ ...init, options: parseSimUri(uri) });
  }

  constructor(init: SimulatedBoardInit) {
    super();
    this.options = init.options;
    this.host = init.host;
    this.portBase = init.portBase ?? DEFAULT_PORT_BASE;
    this.rng = createRng(init.options.seed);
    this.clock = init.clock ?? (() => performance.now());
    this.serial = new SerialOut(init.serial, init.options.eol, this.gate, (line) => this.emit('line', line));
  }

  /** Rounds begun so far, across reboots (fault round numbers count the same way). */
  get roundsStarted(): number {
    return this.rounds;
  }

  /** Powers the board on. Idempotent. */
  start(): this {
    if (this.running || this.stopping) return this;
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.running = this.run().catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else process.emitWarning(error);
    });
    return this;
  }

  /** Powers the board off: stops all timers and drops its connection. */
  async stop(): Promise<void> {
    this.stopController.abort(new BoardInterrupt('stop'));
    this.bootController.abort(new BoardInterrupt('stop'));
    await this.running;
    clearInterval(this.keepAlive);
    this.slot.current?.abort();
    this.slot.current = null;
    this.gate.dispose();
    this.serial.dispose();
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    let cause: ResetCause = 'poweron';
    while (!this.stopping) {
      this.bootController = new AbortController();
      this.crash = null;
      try {
        await this.boot(cause, this.bootController.signal);
      } catch (err) {
        if (!(err instanceof BoardInterrupt)) throw err;
      }
      if (this.stopping) break;
      const crash: { cause: ResetCause; hangMs: number } = this.crash ?? { cause: 'software', hangMs: 0 };
      // A panicked board spins with its connection still open until the watchdog resets it.
      if (crash.hangMs > 0) await sleep(crash.hangMs, this.stopController.signal).catch(() => {});
      this.slot.current?.abort();
      this.slot.current = null;
      cause = crash.cause;
    }
  }

  private async boot(cause: ResetCause, signal: AbortSignal): Promise<never> {
    const { options } = this;
    this.emit('boot', cause);
    this.serial.romLines(romBanner(options.chip, cause, this.rng));
    this.serial.romLines(bootloaderLines(options.chip));
    for (const step of wifiStartupScript(options.variant, options.ip, this.rng)) {
      if (step.after > 0 && options.bootS > 0) await sleep(step.after * options.bootS * 1000, signal);
      await this.gate.pass(signal);
      this.serial.line(step.text);
    }
    const context = {
      options,
      host: this.host,
      portBase: this.portBase,
      serial: this.serial,
      gate: this.gate,
      slot: this.slot,
      signal,
      clock: this.clock,
      injectFault: (fault: Fault) => this.injectFault(fault),
      onResult: (result: TestResult) => this.emit('result', result),
    };
    while (options.rounds === null || this.rounds < options.rounds) {
      this.rounds++;
      await runRound(context, this.rounds);
    }
    this.emit('idle');
    return untilAborted(signal);
  }

  private injectFault(fault: Fault): void {
    const { options } = this;
    this.emit('fault', fault);
    switch (fault.kind) {
      case 'reset':
        this.crash = { cause: 'software', hangMs: 0 };
        this.bootController.abort(new BoardInterrupt('reset'));
        break;
      case 'panic': {
        const block = simulatedPanic(options.chip, fault.phase, fault.round, options.colors, this.rng);
        this.serial.lines(panicLines(block));
        this.crash = { cause: 'watchdog', hangMs: 1000 };
        this.bootController.abort(new BoardInterrupt('panic'));
        break;
      }
      case 'garbage':
        this.serial.raw(garbageBytes(this.rng, this.serial.eol));
        break;
      case 'stall':
        this.gate.freeze(options.stallS === null ? null : options.stallS * 1000);
        break;
      case 'connect-error':
        break;
    }
  }
}
