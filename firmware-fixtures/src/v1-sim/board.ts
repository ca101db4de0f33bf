import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { sleep } from '../wifi-bench-sim/abortable.js';
import type { ResetCause } from '../wifi-bench-sim/chips.js';
import { panicLines, type PanicBlock } from '../wifi-bench-sim/panic.js';
import { createRng, randomInt, type Rng } from '../wifi-bench-sim/rng.js';
import { SerialOut } from '../wifi-bench-sim/serial.js';
import { StallGate } from '../wifi-bench-sim/stall-gate.js';
import { defaultAirDir } from './air.js';
import { BleRun } from './ble.js';
import { CHIP_RADIOS, bleAddress, bootRomLines, hash32 } from './chips.js';
import { airtimeShares } from './link-model.js';
import {
  FIRMWARE_NAME,
  PROTOCOL_VERSION,
  SIM_CHANNEL,
  SIM_SSID,
  type Radio,
  type V1Fault,
  type V1SimOptions,
} from './options.js';
import {
  LineSplitter,
  encodeMessage,
  parseCommandLine,
  validateRun,
  type ErrorCode,
  type Message,
  type RunSpec,
} from './protocol.js';
import type { Run, RunEnv } from './run.js';
import { parseV1SimUri } from './uri.js';
import { TcpRun } from './wifi-tcp.js';
import { UdpDownloadRun, UdpUploadRun } from './wifi-udp.js';

export interface V1BoardInit {
  options: V1SimOptions;
  /** Where the board's UART TX goes. */
  serial: Writable;
  /** The loopback BLE "air" registry directory (default `os.tmpdir()/espbench-ble-air`). */
  airDir?: string;
  /** Monotonic milliseconds; default performance.now. */
  clock?: () => number;
}

export interface V1BoardEvents {
  /** A serial line as printed (without terminator). */
  line: [line: string];
  /** A protocol message the board printed. */
  message: [message: Message];
  /** The ROM banner for this reset is about to be printed. */
  boot: [cause: ResetCause];
  fault: [fault: V1Fault];
  error: [error: Error];
}

/** Faults that fire half-way through a run's transfer (duration_ms / 2 after its `start`). */
const MID_RUN_FAULTS: ReadonlySet<string> = new Set(['malformed', 'reset', 'panic', 'ble-disconnect']);
/** How long a panicked board spins before the watchdog resets it. */
export const PANIC_HANG_MS = 1000;

interface ScriptedLine {
  after: number;
  text: string;
}

/**
 * A board running protocol-v1 firmware ("espbench-fw"): serial output to a Writable, commands fed to
 * receive(), real TCP/UDP from its own 127.0.0.N address, BLE over the loopback air.
 */
export class V1Board extends EventEmitter<V1BoardEvents> {
  readonly options: V1SimOptions;
  readonly airDir: string;
  readonly bleAddress: string;
  readonly wifiRssi: number;
  readonly bleRssi: number;
  private readonly serial: SerialOut;
  private readonly gate = new StallGate();
  private readonly rng: Rng;
  private readonly clock: () => number;
  private readonly splitter: LineSplitter;
  private state: 'off' | 'booting' | 'up' | 'hung' = 'off';
  private stopped = false;
  private bootController = new AbortController();
  private readonly runs = new Map<string, Run>();
  private readonly faultTimers = new Map<Run, NodeJS.Timeout[]>();
  private readonly pendingCleanup = new Set<Promise<void>>();
  private shares = { wifi: 1, ble: 1 };
  private runCount = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private hangTimer: NodeJS.Timeout | undefined;
  private readonly env: RunEnv;

  static fromUri(uri: string, init: Omit<V1BoardInit, 'options'>): V1Board {
    return new V1Board({ ...init, options: parseV1SimUri(uri) });
  }

  constructor(init: V1BoardInit) {
    super();
    const { options } = init;
    this.options = options;
    this.airDir = init.airDir ?? defaultAirDir();
    this.bleAddress = bleAddress(options.mac);
    this.rng = createRng(options.seed);
    const rssiRng = createRng(hash32(`rssi|${options.seed}|${options.mac}`));
    this.wifiRssi = -randomInt(rssiRng, 42, 55);
    this.bleRssi = -randomInt(rssiRng, 35, 48);
    this.clock = init.clock ?? (() => performance.now());
    this.serial = new SerialOut(init.serial, options.eol, this.gate, (line) => this.emit('line', line));
    this.splitter = new LineSplitter((line) => this.onLine(line));
    this.env = {
      options,
      airDir: this.airDir,
      bleAddress: this.bleAddress,
      clock: this.clock,
      rng: this.rng,
      wifiRssi: this.wifiRssi,
      bleRssi: this.bleRssi,
      send: (message) => this.send(message),
      log: (text) => this.log(text),
      share: (radio) => this.shares[radio],
      started: (run) => this.onRunStarted(run),
      ended: (run) => this.onRunEnded(run),
      cleanup: (work) => {
        const tracked = work.catch(() => {}).finally(() => this.pendingCleanup.delete(tracked));
        this.pendingCleanup.add(tracked);
      },
    };
  }

  get hasWifi(): boolean {
    return CHIP_RADIOS[this.options.chip].wifi;
  }

  get hasBle(): boolean {
    return CHIP_RADIOS[this.options.chip].ble;
  }

  /** Ids of the runs in progress. */
  get runIds(): string[] {
    return [...this.runs.keys()];
  }

  /** Powers the board on. Idempotent. */
  start(): this {
    if (this.state !== 'off' || this.stopped) return this;
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.boot('poweron');
    return this;
  }

  /** UART RX: bytes the host writes. Lines arriving while the board boots or hangs are lost. */
  receive(chunk: Buffer | string): void {
    this.splitter.push(chunk);
  }

  /** Powers the board off: drops every connection and timer, removes its air registrations. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.state = 'off';
    this.bootController.abort(new Error('power off'));
    clearTimeout(this.hangTimer);
    this.dropRuns();
    await Promise.all([...this.pendingCleanup]);
    clearInterval(this.keepAlive);
    this.serial.dispose();
    this.gate.dispose();
  }

  // --- boot ---

  private boot(cause: ResetCause): void {
    this.state = 'booting';
    const controller = new AbortController();
    this.bootController = controller;
    this.runBoot(cause, controller.signal).catch((err: unknown) => {
      if (controller.signal.aborted) return;
      const error = err instanceof Error ? err : new Error(String(err));
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else process.emitWarning(error);
    });
  }

  private async runBoot(cause: ResetCause, signal: AbortSignal): Promise<void> {
    const { options } = this;
    this.emit('boot', cause);
    const { rom, bootloader } = bootRomLines(options.chip, cause, this.rng);
    this.serial.romLines(rom);
    this.serial.romLines(bootloader);
    for (const step of this.bootScript()) {
      if (step.after > 0 && options.bootS > 0) await sleep(step.after * options.bootS * 1000, signal);
      this.serial.line(step.text);
    }
    if (signal.aborted) return;
    this.state = 'up';
    this.sendHello();
    this.send(this.readyMessage());
  }

  /** App log lines from start-up to `hello`; `after` is a fraction of `boot` seconds. */
  private bootScript(): ScriptedLine[] {
    const { options } = this;
    const lines: ScriptedLine[] = [
      { after: 0.05, text: `INFO - ${FIRMWARE_NAME} ${options.version} (espbench protocol ${this.protocolVersion}) on ${options.chip}` },
      { after: 0, text: `INFO - base MAC ${options.mac}` },
    ];
    if (this.hasWifi) {
      lines.push(
        { after: 0.1, text: `INFO - WiFi: started, connecting to "${SIM_SSID}"` },
        { after: 0.35, text: `INFO - WiFi: connected, channel ${SIM_CHANNEL}, RSSI ${this.wifiRssi} dBm` },
        { after: 0.3, text: `INFO - WiFi: got IP ${options.ip}/24` },
      );
    }
    if (this.hasBle) lines.push({ after: 0.1, text: `INFO - BLE: controller up, address ${this.bleAddress}` });
    const used = lines.reduce((sum, l) => sum + l.after, 0);
    lines.push({ after: Math.max(0, 1 - used), text: `INFO - listening for espbench commands on the console` });
    return lines;
  }

  private get protocolVersion(): number {
    return this.options.faults.some((f) => f.kind === 'version') ? 2 : PROTOCOL_VERSION;
  }

  // --- output ---

  private send(message: Message): void {
    if (this.state === 'off' || this.state === 'hung') return;
    this.serial.line(encodeMessage(message));
    this.emit('message', message);
  }

  private log(text: string): void {
    if (this.state === 'off' || this.state === 'hung') return;
    this.serial.line(`INFO - ${text}`);
  }

  private sendHello(): void {
    const { options } = this;
    this.send({
      type: 'hello',
      protocol: this.protocolVersion,
      chip: options.chip,
      firmware: { name: FIRMWARE_NAME, version: options.version },
      mac: options.mac,
      capabilities: [...options.capabilities],
    });
  }

  private readyMessage(): Message {
    const message: Message = { type: 'ready' };
    if (this.hasWifi) message.wifi = { ip: this.options.ip, ssid: SIM_SSID, channel: SIM_CHANNEL, rssi: this.wifiRssi };
    if (this.hasBle) message.ble = { address: this.bleAddress };
    return message;
  }

  private sendReadyOrStatus(): void {
    if (this.runs.size === 0) this.send(this.readyMessage());
    else this.send({ type: 'status', state: 'running', ids: this.runIds });
  }

  private sendError(id: string | null, code: ErrorCode, message: string): void {
    this.send(id === null ? { type: 'error', code, message } : { type: 'error', id, code, message });
  }

  // --- commands ---

  private onLine(line: string): void {
    const parsed = parseCommandLine(line);
    if (parsed.kind === 'not-protocol' || this.state !== 'up') return;
    if (parsed.kind === 'bad') {
      this.sendError(null, 'bad-command', `bad command line: ${parsed.message}`);
      return;
    }
    const { command } = parsed;
    switch (command.type) {
      case 'hello':
        this.sendHello();
        this.sendReadyOrStatus();
        break;
      case 'status':
        this.sendReadyOrStatus();
        break;
      case 'run':
        this.onRun(command);
        break;
      case 'stop':
        this.onStop(command);
        break;
      default:
        // Unknown types are ignored (a newer host may send more).
        break;
    }
  }

  private onRun(command: Record<string, unknown>): void {
    const number = ++this.runCount;
    const faults = this.options.faults.filter((f) => f.run === number);
    const has = (kind: V1Fault['kind']): boolean => faults.some((f) => f.kind === kind);
    const validation = validateRun(command, this.options.capabilities);
    if (!validation.ok) {
      this.sendError(validation.id, validation.code, validation.message);
      this.readyIfIdle();
      return;
    }
    const { spec } = validation;
    if (this.runs.has(spec.id)) {
      this.sendError(null, 'bad-command', `run id '${spec.id}' is already in progress`);
      return;
    }
    if (has('claim-then-error')) {
      this.fault(faults.find((f) => f.kind === 'claim-then-error') as V1Fault);
      this.sendError(spec.id, 'internal', `simulated firmware error (fault claim-then-error@${number})`);
      this.readyIfIdle();
      return;
    }
    for (const other of this.runs.values()) {
      const reason =
        other.radio === spec.radio
          ? `a ${other.radio === 'wifi' ? 'WiFi' : 'BLE'} run (${other.id}) is in progress`
          : this.options.capabilities.includes('coex')
            ? null
            : `run ${other.id} is in progress and this board does not announce coex`;
      if (reason !== null) {
        this.sendError(spec.id, 'busy', reason);
        return;
      }
    }
    const run = this.createRun(spec, number);
    this.runs.set(spec.id, run);
    if (has('unknown-type')) {
      this.fault(faults.find((f) => f.kind === 'unknown-type') as V1Fault);
      this.send({ type: 'sim-debug', id: spec.id, note: `simulated unknown message type (fault unknown-type@${number})` });
    }
    if (has('peer-silent')) {
      // The run is accepted and then nothing happens until `stop`.
      this.fault(faults.find((f) => f.kind === 'peer-silent') as V1Fault);
      return;
    }
    run.launch();
  }

  private createRun(spec: RunSpec, number: number): Run {
    switch (spec.scenario) {
      case 'wifi-tcp-download':
      case 'wifi-tcp-upload':
      case 'wifi-tcp-updown':
        return new TcpRun(this.env, spec, number);
      case 'wifi-udp-upload':
        return new UdpUploadRun(this.env, spec, number);
      case 'wifi-udp-download':
        return new UdpDownloadRun(this.env, spec, number);
      case 'ble-notify':
      case 'ble-write':
        return new BleRun(this.env, spec, number);
    }
  }

  private onStop(command: Record<string, unknown>): void {
    if (this.runs.size === 0) {
      this.send(this.readyMessage());
      return;
    }
    if (typeof command.id === 'string') {
      this.runs.get(command.id)?.stop();
      return;
    }
    for (const run of [...this.runs.values()]) run.stop();
  }

  private readyIfIdle(): void {
    if (this.runs.size === 0) this.send(this.readyMessage());
  }

  // --- runs ---

  private onRunStarted(run: Run): void {
    this.refreshShares();
    const timers = faultsFor(this.options.faults, run.number)
      .filter((f) => MID_RUN_FAULTS.has(f.kind))
      .map((f) => setTimeout(() => this.injectMidRun(f, run), run.spec.durationMs / 2));
    if (timers.length > 0) this.faultTimers.set(run, timers);
  }

  private onRunEnded(run: Run): void {
    this.runs.delete(run.id);
    this.clearFaultTimers(run);
    this.refreshShares();
    this.readyIfIdle();
  }

  private refreshShares(): void {
    const running = [...this.runs.values()].filter((r) => r.state === 'running');
    const active = (radio: Radio): boolean => running.some((r) => r.radio === radio);
    const next = airtimeShares(this.options.coexWifi, active('wifi'), active('ble'));
    const changed = { wifi: next.wifi !== this.shares.wifi, ble: next.ble !== this.shares.ble };
    this.shares = next;
    for (const run of running) if (changed[run.radio]) run.setShare(next[run.radio]);
  }

  private clearFaultTimers(run: Run): void {
    for (const timer of this.faultTimers.get(run) ?? []) clearTimeout(timer);
    this.faultTimers.delete(run);
  }

  private dropRuns(): void {
    for (const run of this.runs.values()) {
      this.clearFaultTimers(run);
      run.abort();
    }
    this.runs.clear();
    this.shares = { wifi: 1, ble: 1 };
  }

  // --- faults ---

  private fault(fault: V1Fault): void {
    this.emit('fault', fault);
  }

  private injectMidRun(fault: V1Fault, run: Run): void {
    if (this.state !== 'up') return;
    this.fault(fault);
    switch (fault.kind) {
      case 'malformed':
        // A protocol line cut short, as when the UART drops bytes.
        this.serial.line(`@espbench {"type":"interval","id":${JSON.stringify(run.id)},"t_ms":`);
        break;
      case 'ble-disconnect':
        if (run instanceof BleRun) run.dropLink();
        break;
      case 'reset':
        this.reboot('software');
        break;
      case 'panic':
        this.panic(run.number);
        break;
    }
  }

  /** A software reset: connections drop, the ROM banner, boot, hello and ready again. */
  private reboot(cause: ResetCause): void {
    this.bootController.abort(new Error('reset'));
    this.dropRuns();
    this.boot(cause);
  }

  /** esp-backtrace panic block, all I/O stops with connections open, the watchdog resets ~1 s later. */
  private panic(number: number): void {
    const chip = CHIP_RADIOS[this.options.chip];
    const noFrames = chip.arch === 'riscv' && this.rng() < 0.2;
    const count = noFrames ? 0 : randomInt(this.rng, 3, 8);
    const block: PanicBlock = {
      location: `src/bin/espbench_fw.rs:${randomInt(this.rng, 120, 480)}:${randomInt(this.rng, 5, 40)}`,
      message: `espbench simulated panic (fault panic@${number})`,
      frames: Array.from({ length: count }, () => chip.codeBase + randomInt(this.rng, 0x80, 0x7fff) * 2),
      arch: chip.arch,
      colors: this.options.colors,
    };
    this.serial.lines(panicLines(block));
    this.state = 'hung';
    for (const run of this.runs.values()) {
      this.clearFaultTimers(run);
      run.freeze();
    }
    this.hangTimer = setTimeout(() => this.reboot('watchdog'), PANIC_HANG_MS);
  }
}

function faultsFor(faults: readonly V1Fault[], run: number): V1Fault[] {
  return faults.filter((f) => f.run === run);
}
