import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { romBanner } from '../wifi-bench-sim/banner.js';
import type { ResetCause } from '../wifi-bench-sim/chips.js';
import { createRng, randomInt, type Rng } from '../wifi-bench-sim/rng.js';
import { SerialOut } from '../wifi-bench-sim/serial.js';
import { StallGate } from '../wifi-bench-sim/stall-gate.js';
import { parseIperfArgs, splitArgv, type IperfArgs } from './args.js';
import { APP_BANNER, HELP_TEXT, PROMPT, REPL_GREETING, appStartLines, bootloader } from './console-text.js';
import { gen1Line, gen2Line, gen2Value, gen3Line, logLine, reportHeader, type OutputFormat } from './format.js';
import { parseIdfIperfSimUri, type IdfIperfSimOptions, type ReportGeneration } from './options.js';
import { TcpClient, TcpServer, UdpClient, UdpServer, type Endpoints, type Traffic } from './traffic.js';

export interface IdfIperfBoardInit {
  options: IdfIperfSimOptions;
  serial: Writable;
  clock?: () => number;
}

export interface IdfIperfBoardEvents {
  /** A serial line as printed (without terminator). */
  line: [line: string];
  /** An iperf test ended: payload bytes the board counted and the seconds its summary covers. */
  result: [result: { bytes: number; seconds: number; aborted: boolean }];
  error: [error: Error];
}

/** lwIP errno values the firmware prints. */
const LWIP_ERRNO: Record<string, [number, string]> = {
  ECONNREFUSED: [104, 'Connection reset by peer'],
  ECONNRESET: [104, 'Connection reset by peer'],
  ETIMEDOUT: [116, 'Connection timed out'],
  EADDRINUSE: [112, 'Address already in use'],
  EADDRNOTAVAIL: [125, 'Cannot assign requested address'],
  EHOSTUNREACH: [113, 'Host is unreachable'],
  ENETUNREACH: [118, 'Network is unreachable'],
};
const errnoOf = (code: string): [number, string] => LWIP_ERRNO[code] ?? [5, 'I/O error'];

/** IEEE 802.11 reason codes ESP-IDF reports in WIFI_EVENT_STA_DISCONNECTED. */
const REASON_4WAY_HANDSHAKE_TIMEOUT = 15;
const REASON_NO_AP_FOUND = 201;
/** esp-qa/wifi-cmd reconnects this many times after a disconnect (assumed; not read from its source). */
const WIFI_CMD_MAX_RETRY = 5;
/** cmd_wifi.c waits this long for CONNECTED_BIT before `sta` returns. */
const GEN1_STA_WAIT_MS = 5000;

interface ScanAp {
  ssid: string;
  rssi: number;
  channel: number;
  bssid: string;
  authmode: number;
}

/**
 * A board running ESP-IDF's examples/wifi/iperf console: the ROM banner and IDF boot log on its serial TX,
 * an `iperf>` REPL reading its RX (echoing like linenoise's dumb mode), and real TCP/UDP with iperf 2 peers
 * from/at its own 127.0.0.N address, at a shaped rate.
 */
export class IdfIperfBoard extends EventEmitter<IdfIperfBoardEvents> {
  readonly options: IdfIperfSimOptions;
  private readonly serial: SerialOut;
  private readonly gate = new StallGate();
  private readonly clock: () => number;
  private readonly rng: Rng;
  private readonly aps: ScanAp[];
  private state: 'off' | 'booting' | 'idle' | 'busy' | 'dead' = 'off';
  private bootAt = 0;
  private input = '';
  private lineBuf = '';
  private timers = new Set<NodeJS.Timeout>();
  private keepAlive: NodeJS.Timeout | undefined;
  private connected = false;
  private connecting: { timer: NodeJS.Timeout } | null = null;
  private run: IperfRun | null = null;
  private stopped = false;

  static fromUri(uri: string, init: Omit<IdfIperfBoardInit, 'options'>): IdfIperfBoard {
    return new IdfIperfBoard({ ...init, options: parseIdfIperfSimUri(uri) });
  }

  constructor(init: IdfIperfBoardInit) {
    super();
    this.options = init.options;
    this.clock = init.clock ?? (() => performance.now());
    this.rng = createRng(this.options.seed);
    this.serial = new SerialOut(init.serial, this.options.eol, this.gate, (line) => this.emit('line', line));
    const hex = (): string => randomInt(this.rng, 0, 255).toString(16).padStart(2, '0');
    const bssid = (): string => ['a4', hex(), hex(), hex(), hex(), hex()].join(':');
    const others: ScanAp[] = [
      { ssid: 'neighbour-5G', rssi: -63, channel: 1, bssid: bssid(), authmode: 3 },
      { ssid: 'guest', rssi: -71, channel: 11, bssid: bssid(), authmode: 0 },
      { ssid: 'printer-direct', rssi: -84, channel: 6, bssid: bssid(), authmode: 3 },
    ];
    const own: ScanAp = { ssid: this.options.ssid, rssi: this.options.rssi, channel: 6, bssid: bssid(), authmode: 3 };
    this.aps = [own, ...others].sort((a, b) => b.rssi - a.rssi);
  }

  get generation(): ReportGeneration {
    return this.options.report;
  }

  /** Powers the board on. */
  start(): this {
    if (this.state !== 'off' || this.stopped) return this;
    this.keepAlive = setInterval(() => {}, 1 << 30);
    this.boot('poweron');
    return this;
  }

  /** UART RX. Bytes arriving before the console runs are lost. */
  receive(chunk: Buffer | string): void {
    if (this.state === 'off' || this.state === 'booting' || this.state === 'dead') return;
    this.input += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    this.pumpInput();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.state = 'off';
    this.clearTimers();
    this.run?.abort();
    this.run = null;
    clearInterval(this.keepAlive);
    this.serial.dispose();
    this.gate.dispose();
    await new Promise((resolve) => setImmediate(resolve));
  }

  // --- output helpers ---

  private ms(): number {
    return this.clock() - this.bootAt + 310;
  }

  private log(level: 'E' | 'W' | 'I', tag: string, message: string): void {
    if (this.state === 'off') return;
    this.serial.line(logLine(level, this.ms(), tag, message));
  }

  private print(text: string): void {
    if (this.state === 'off') return;
    this.serial.line(text);
  }

  private prompt(): void {
    if (this.options.faults.includes('no-prompt')) return;
    this.serial.raw(Buffer.from(PROMPT, 'latin1'));
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  // --- boot ---

  private boot(cause: ResetCause): void {
    this.state = 'booting';
    this.bootAt = this.clock();
    this.connected = false;
    this.connecting = null;
    this.input = '';
    this.lineBuf = '';
    const { chip, report } = this.options;
    this.serial.romLines(romBanner(chip, cause, this.rng));
    this.serial.romLines(bootloader(chip, report));
    const bootMs = this.options.bootS * 1000;
    this.after(bootMs * 0.5, () => {
      for (const [ms, tag, message] of appStartLines(chip, report)) this.serial.line(logLine('I', ms, tag, message));
    });
    this.after(bootMs, () => {
      for (const line of APP_BANNER) this.print(line);
      if (this.options.faults.includes('no-prompt')) {
        // The console never comes up: no greeting, no prompt, RX ignored.
        this.state = 'dead';
        return;
      }
      // linenoiseProbe: ESC [5n, no answer from a plain serial reader -> dumb mode.
      this.serial.raw(Buffer.from('\x1b[5n', 'latin1'));
      for (const line of REPL_GREETING) this.print(line);
      this.state = 'idle';
      this.prompt();
      this.pumpInput();
    });
  }

  // --- console ---

  /** linenoise dumb mode: echo each character, end the line at CR or LF (the UART driver maps CR to LF). */
  private pumpInput(): void {
    while (this.state === 'idle' && this.input.length > 0) {
      const c = this.input[0] as string;
      this.input = this.input.slice(1);
      if (c === '\r' || c === '\n') {
        this.serial.raw(Buffer.from(this.serial.eol, 'latin1'));
        const line = this.lineBuf;
        this.lineBuf = '';
        this.execute(line);
      } else if (c === '\x7f' || c === '\x08') {
        this.lineBuf = this.lineBuf.slice(0, -1);
        this.serial.raw(Buffer.from('\x08 ' + c, 'latin1'));
      } else if (c >= '\x1c' && c <= '\x1f') {
        continue;
      } else {
        this.lineBuf += c;
        this.serial.raw(Buffer.from(c, 'latin1'));
      }
    }
  }

  /** Runs one command line; the prompt comes back when the command function returns. */
  private execute(line: string): void {
    const argv = splitArgv(line);
    const name = argv[0];
    if (name === undefined) {
      this.prompt();
      return;
    }
    const gen = this.generation;
    const done = (ret = 0): void => {
      if (ret !== 0) this.print(`Command returned non-zero error code: 0x${ret.toString(16)} (UNKNOWN ERROR)`);
      this.prompt();
    };
    switch (name) {
      case 'help':
        for (const text of HELP_TEXT[gen]) this.print(text);
        return done();
      case 'heap':
        this.print(`min heap size: ${196_000 + randomInt(this.rng, 0, 4000)}`);
        return done();
      case 'free':
        this.print(String(212_000 + randomInt(this.rng, 0, 4000)));
        return done();
      case 'restart':
        this.log('I', 'restart', 'Restarting');
        this.run?.abort();
        this.run = null;
        this.clearTimers();
        this.after(20, () => this.boot('software'));
        this.state = 'busy';
        return;
      case 'iperf':
        return done(this.cmdIperf(argv));
    }
    if (gen === 1) {
      switch (name) {
        case 'sta':
          return this.cmdSta(argv);
        case 'scan':
          this.log('I', 'cmd_wifi', 'sta start to scan');
          this.scan(argv[1]);
          return done();
        case 'query':
          this.log('I', 'cmd_wifi', this.connected ? `sta mode, connected ${this.options.ssid}` : 'sta mode, disconnected');
          return done();
      }
    } else {
      switch (name) {
        case 'sta_connect':
          return done(this.cmdStaConnect(argv));
        case 'sta_disconnect':
          this.cancelConnect();
          if (this.connected) this.after(5, () => this.disconnected(8, false));
          this.connected = false;
          this.log('I', 'iperf', 'DONE.WIFI_DISCONNECT,OK.');
          return done();
        case 'wifi_scan':
        case 'sta_scan':
          if (name === 'wifi_scan') this.log('W', 'iperf', 'DEPRECATED, please use sta_scan.');
          this.log('I', 'iperf', 'DONE.STA_SCAN_START,OK.');
          this.scan(argv[1]);
          return done();
      }
    }
    this.print('Unrecognized command');
    done();
  }

  // --- WiFi ---

  private joinOutcome(ssid: string, password: string | undefined): 'ok' | 'no-ap' | 'bad-password' {
    if (ssid !== this.options.ssid) return 'no-ap';
    return (password ?? '') === this.options.password ? 'ok' : 'bad-password';
  }

  private cancelConnect(): void {
    if (this.connecting) {
      clearTimeout(this.connecting.timer);
      this.timers.delete(this.connecting.timer);
    }
    this.connecting = null;
  }

  private gotIp(): void {
    this.connected = true;
    const { ip } = this.options;
    if (this.generation !== 1) this.log('I', 'iperf', 'WIFI_EVENT_STA_CONNECTED!');
    this.log('I', 'esp_netif_handlers', `sta ip: ${ip}, mask: 255.255.255.0, gw: ${gateway(ip)}`);
    if (this.generation !== 1) {
      this.log('I', 'iperf', `IP_EVENT_STA_GOT_IP: Interface "sta" address: ${ip}`);
      this.log('I', 'iperf', `- IPv4 address: ${ip},`);
    }
  }

  private disconnected(reason: number, retry: boolean): void {
    if (this.generation === 1) this.log('I', 'cmd_wifi', retry ? 'sta disconnect, reconnect...' : 'sta disconnect');
    else {
      this.log('I', 'iperf', `WIFI_EVENT_STA_DISCONNECTED! reason: ${reason}`);
      if (retry) this.log('I', 'iperf', 'trying to reconnect...');
    }
  }

  /** Association attempts in the background: success -> IP, failure -> disconnect events and retries. */
  private associate(outcome: 'ok' | 'no-ap' | 'bad-password', attempt: number): void {
    const delay = Math.max(1, this.options.connectS * 1000);
    const timer = this.after(delay, () => {
      this.connecting = null;
      if (outcome === 'ok') {
        this.gotIp();
        return;
      }
      const reason = outcome === 'no-ap' ? REASON_NO_AP_FOUND : REASON_4WAY_HANDSHAKE_TIMEOUT;
      const retry = this.generation === 1 || attempt < WIFI_CMD_MAX_RETRY;
      this.disconnected(reason, retry);
      if (retry) this.associate(outcome, attempt + 1);
    });
    this.connecting = { timer };
  }

  /** Generation 1: `sta <ssid> [<pass>]` blocks up to 5 s for the IP. */
  private cmdSta(argv: string[]): void {
    const ssid = argv[1];
    if (ssid === undefined || argv.length > 3) {
      this.print(ssid === undefined ? 'sta: missing <ssid>' : `sta: unexpected argument "${argv[3]}"`);
      this.prompt();
      return;
    }
    this.log('I', 'cmd_wifi', `sta connecting to '${ssid}'`);
    this.cancelConnect();
    if (this.connected) {
      this.connected = false;
      this.log('I', 'cmd_wifi', 'sta disconnect');
    }
    const outcome = this.joinOutcome(ssid, argv[2]);
    this.associate(outcome, 1);
    this.state = 'busy';
    const started = this.clock();
    const poll = (): void => {
      if (this.connected || this.clock() - started >= GEN1_STA_WAIT_MS) {
        this.state = 'idle';
        this.prompt();
        this.pumpInput();
        return;
      }
      this.after(20, poll);
    };
    this.after(20, poll);
  }

  /** Generations 2 and 3: `sta_connect <ssid> [<pass>]` returns at once; events follow. */
  private cmdStaConnect(argv: string[]): number {
    const ssid = argv[1];
    if (ssid === undefined) {
      this.print('sta_connect: missing <ssid>');
      return 1;
    }
    this.cancelConnect();
    this.connected = false;
    this.log('I', 'iperf', `Connecting to ${ssid}...`);
    this.log('I', 'iperf', 'DONE.WIFI_CONNECT_START,OK.');
    this.associate(this.joinOutcome(ssid, argv[2]), 1);
    return 0;
  }

  private scan(only: string | undefined): void {
    const found = this.aps.filter((ap) => only === undefined || ap.ssid === only);
    this.after(Math.max(1, this.options.connectS * 500), () => {
      if (found.length === 0) {
        this.log('E', this.generation === 1 ? 'cmd_wifi' : 'iperf', this.generation === 1 ? 'No AP found' : 'SCAN_DONE: No AP found');
        return;
      }
      for (const ap of found) {
        if (this.generation === 1) this.log('I', 'cmd_wifi', `[${ap.ssid}][rssi=${ap.rssi}]`);
        else this.log('I', 'iperf', `+SCAN:[${ap.bssid}][${ap.ssid}][rssi=${ap.rssi}][authmode=${ap.authmode}][ch=${ap.channel}][second=0][11n]`);
      }
      if (this.generation === 1) this.log('I', 'cmd_wifi', 'sta scan done');
      else this.log('I', 'iperf', `SCAN_DONE: Found ${found.length} APs`);
    });
  }

  // --- iperf ---

  private get cmdTag(): string {
    return this.generation === 1 ? 'cmd_wifi' : this.generation === 2 ? 'iperf' : 'IPERF';
  }

  /** Returns the command's return code. */
  private cmdIperf(argv: string[]): number {
    const gen = this.generation;
    const failRet = gen === 1 ? 0 : 1;
    if (this.options.faults.includes('reject-iperf')) {
      const first = argv.find((a, i) => i > 0 && a.startsWith('-')) ?? argv[1];
      this.print(first === undefined ? 'iperf: missing option' : `iperf: invalid option "${first}"`);
      return failRet;
    }
    const parsed = parseIperfArgs(argv, gen);
    if (!parsed.ok) {
      this.print(parsed.error);
      return failRet;
    }
    const args = parsed.args;
    if (args.help) {
      for (const text of HELP_TEXT[gen].slice(3, 5)) this.print(text);
      return 0;
    }
    if (args.abort) {
      this.abortRun();
      return 0;
    }
    if ((args.client === null) === !args.server) {
      this.log('E', this.cmdTag, 'should specific client/server mode');
      return 0;
    }
    if (gen === 1 && !this.connected) {
      this.log('E', 'cmd_wifi', 'sta has no IP');
      return 0;
    }
    if (args.client !== null && !/^\d{1,3}(\.\d{1,3}){3}$/.test(args.client)) {
      if (gen === 3) {
        this.log('E', 'IPERF', 'invalid destination address');
        return 1;
      }
    }
    if (this.run) {
      if (gen === 1) this.log('W', 'iperf', 'iperf is running');
      else if (gen === 2) this.log('E', 'iperf', 'iperf is already running.');
      else this.log('E', 'iperf', 'iperf instance id 1 already in use.');
      return gen === 1 ? 0 : 1;
    }
    let format: OutputFormat = 'm';
    if (args.format !== null && gen !== 1) {
      const ch = args.format[0] ?? '';
      const allowed = gen === 2 ? ['k', 'm'] : ['b', 'k', 'm', 'K', 'M'];
      if (allowed.includes(ch)) format = ch as OutputFormat;
      else this.log('W', this.cmdTag, `ignore invalid format: ${ch}`);
    }
    const interval = args.interval === null || args.interval <= 0 ? 3 : args.interval;
    let time = args.time === null ? 30 : args.time;
    if (time <= interval) time = interval;
    const defaultPort = 5001;
    const port = args.port ?? defaultPort;
    const server = args.server;
    const sip = gen === 3 ? (server ? '0.0.0.0' : '0.0.0.0') : this.options.ip;
    const sport = server ? port : gen === 3 ? 0 : defaultPort;
    const dip = server ? (gen === 3 ? '0.0.0.0' : '0.0.0.0') : (args.client as string);
    const dport = server ? (gen === 3 ? 0 : defaultPort) : port;
    this.log('I', this.cmdTag, `mode=${args.udp ? 'udp' : 'tcp'}-${server ? 'server' : 'client'} sip=${sip}:${sport}, dip=${dip}:${dport}, interval=${interval}, time=${time}`);
    this.run = new IperfRun(this, args, { interval, time, port, format });
    this.run.start();
    return 0;
  }

  private abortRun(): void {
    const gen = this.generation;
    const run = this.run;
    if (gen === 1) {
      if (run) this.log('I', 'iperf', 'wait current iperf to stop ...');
    } else if (gen === 2) {
      if (run) this.log('I', 'iperf', 'wait current iperf to stop ...');
    } else if (run) {
      this.log('I', 'iperf', `waiting for iperf instance id=1 to stop...`);
    }
    run?.stopNow();
    if (gen === 2) this.log('I', 'iperf', 'DONE.IPERF_STOP,OK.');
    if (gen === 3) this.log('I', 'IPERF', 'DONE.IPERF_STOP,OK');
  }

  /** @internal for IperfRun */
  runApi(): RunApi {
    return {
      gen: this.generation,
      ip: this.options.ip,
      rate: this.options.rate,
      udpFin: this.options.udpFin,
      clock: this.clock,
      print: (text) => this.print(text),
      log: (level, tag, message) => this.log(level, tag, message),
      after: (ms, fn) => this.after(ms, fn),
      cancel: (timer) => {
        clearTimeout(timer);
        this.timers.delete(timer);
      },
      ended: (run, result) => {
        if (this.run === run) this.run = null;
        this.emit('result', result);
      },
    };
  }
}

function gateway(ip: string): string {
  const parts = ip.split('.');
  parts[3] = '1';
  return parts.join('.');
}

interface RunApi {
  gen: ReportGeneration;
  ip: string;
  rate: number;
  udpFin: boolean;
  clock: () => number;
  print(text: string): void;
  log(level: 'E' | 'W' | 'I', tag: string, message: string): void;
  after(ms: number, fn: () => void): NodeJS.Timeout;
  cancel(timer: NodeJS.Timeout): void;
  ended(run: IperfRun, result: { bytes: number; seconds: number; aborted: boolean }): void;
}

/** Default buffer lengths of the firmware (TCP 16 KiB, UDP 1470 B). */
const TCP_LEN = 16384;
const UDP_LEN = 1470;

/** One `iperf` test: the traffic, interval reports in the board's generation, the summary. */
class IperfRun {
  private readonly api: RunApi;
  private traffic: Traffic | null = null;
  private startMs = 0;
  private cur = 0;
  private lastBytes = 0;
  private readonly values: number[] = [];
  private tick: NodeJS.Timeout | undefined;
  private finished = false;
  private started = false;

  constructor(
    board: IdfIperfBoard,
    private readonly args: IperfArgs,
    private readonly cfg: { interval: number; time: number; port: number; format: OutputFormat },
  ) {
    this.api = board.runApi();
  }

  private get gen(): ReportGeneration {
    return this.api.gen;
  }

  private get trafficTag(): string {
    return this.gen === 3 ? 'iperf(id=1)' : 'iperf';
  }

  start(): void {
    const { api, args, cfg } = this;
    const rate = Math.min(api.rate, args.bandwidth !== null && args.bandwidth > 0 ? args.bandwidth / 8 : Infinity);
    const hooks = {
      clock: api.clock,
      started: (endpoints: Endpoints) => this.onStarted(endpoints),
      failed: (code: string) => this.onFailed(code),
      log: (level: 'I' | 'W' | 'E', text: string) => api.log(level, this.trafficTag, text),
    };
    const target = { host: args.client ?? '', port: cfg.port, from: api.ip };
    if (args.client !== null) {
      this.traffic = args.udp
        ? new UdpClient(hooks, target, rate, args.length ?? UDP_LEN, this.gen === 1 ? 1 : 0, api.udpFin)
        : new TcpClient(hooks, target, rate, args.length ?? TCP_LEN);
    } else {
      const listen = { address: api.ip, port: cfg.port };
      this.traffic = args.udp ? new UdpServer(hooks, listen, rate) : new TcpServer(hooks, listen, rate);
    }
    this.traffic.start();
  }

  private onStarted(endpoints: Endpoints): void {
    if (this.finished) return;
    this.started = true;
    this.startMs = this.api.clock();
    const gen = this.gen;
    if (this.args.client !== null && !this.args.udp && gen !== 1) this.api.log('I', this.trafficTag, 'Successfully connected');
    if (gen === 3) {
      const { localAddress, localPort, remoteAddress, remotePort } = endpoints;
      this.api.print(`[  1] local ${localAddress}:${localPort} connected to ${remoteAddress}:${remotePort}`);
    }
    for (const line of reportHeader(gen)) this.api.print(line);
    this.scheduleTick();
  }

  private onFailed(code: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tick) this.api.cancel(this.tick);
    const [errno, reason] = errnoOf(code);
    const what = this.args.client !== null ? (this.args.udp ? 'udp client' : 'tcp client connect') : this.args.udp ? 'udp server bind' : 'tcp server bind';
    if (this.gen === 1) this.api.log('W', 'iperf', `${what} error, error code: ${errno}, reason: ${reason}`);
    else this.api.log('E', this.trafficTag, `${this.args.client !== null ? 'Socket unable to connect' : 'Socket unable to bind'}: errno ${errno}`);
    this.traffic?.abort();
    if (this.gen !== 3) this.api.log('I', 'iperf', 'iperf exit');
    this.api.ended(this, { bytes: 0, seconds: 0, aborted: true });
  }

  /** Generations 1 and 2 report every `interval` until `time` is reached; 3 shortens the last interval. */
  private nextEnd(): number {
    const { interval, time } = this.cfg;
    const next = this.cur + interval;
    return this.gen === 3 ? Math.min(next, time) : next;
  }

  private scheduleTick(): void {
    const end = this.nextEnd();
    this.tick = this.api.after(Math.max(0, this.startMs + end * 1000 - this.api.clock()), () => this.onTick(end));
  }

  private onTick(end: number): void {
    if (this.finished || !this.traffic) return;
    const last = end >= this.cfg.time;
    if (last) this.traffic.finish(this.startMs + end * 1000);
    else this.traffic.catchUp();
    this.report(end);
    if (last) this.finish(false);
    else this.scheduleTick();
  }

  private report(end: number): void {
    const bytes = this.traffic?.counted(this.startMs + end * 1000) ?? 0;
    const period = bytes - this.lastBytes;
    const start = this.cur;
    const seconds = end - start;
    this.cur = end;
    this.lastBytes = bytes;
    switch (this.gen) {
      case 1:
        this.api.print(gen1Line(start, end, period, seconds));
        break;
      case 2: {
        const value = gen2Value(period, seconds, this.cfg.format);
        this.values.push(value);
        this.api.print(gen2Line(start, end, value, this.cfg.format));
        break;
      }
      case 3:
        this.api.print(gen3Line(1, start, end, period, this.cfg.format));
        break;
    }
  }

  private summary(): void {
    const bytes = this.traffic?.bytes ?? 0;
    const { time, format } = this.cfg;
    switch (this.gen) {
      case 1:
        // printf("%4d-%4d sec ...", 0, time, total * 8 / cur / 1e6)
        this.api.print(gen1Line(0, time, bytes, this.cur));
        break;
      case 2: {
        const average = this.values.length > 0 ? this.values.reduce((a, b) => a + b, 0) / this.values.length : 0;
        this.api.print(gen2Line(0, time, average, format));
        break;
      }
      case 3:
        this.api.print(gen3Line(1, 0, this.cur, bytes, format));
        break;
    }
  }

  private finish(aborted: boolean): void {
    if (this.finished) return;
    this.finished = true;
    if (this.tick) this.api.cancel(this.tick);
    if (this.cur > 0) this.summary();
    const client = this.args.client !== null;
    if (this.gen === 2) {
      if (this.args.udp) this.api.log('I', 'iperf', client ? 'UDP Socket client is closed' : 'Udp socket server is closed.');
      else this.api.log('I', 'iperf', client ? 'TCP Socket client is closed.' : 'TCP Socket server is closed.');
    }
    if (this.gen !== 3) this.api.log('I', 'iperf', 'iperf exit');
    this.api.ended(this, { bytes: this.traffic?.bytes ?? 0, seconds: this.cur, aborted });
  }

  /** `iperf -a` / `--abort`: stop now, the summary covers the intervals reported so far. */
  stopNow(): void {
    if (this.finished) return;
    this.traffic?.finish(this.api.clock());
    if (!this.started) {
      this.finished = true;
      if (this.tick) this.api.cancel(this.tick);
      this.traffic?.abort();
      this.api.ended(this, { bytes: 0, seconds: 0, aborted: true });
      return;
    }
    this.finish(true);
  }

  abort(): void {
    this.finished = true;
    if (this.tick) this.api.cancel(this.tick);
    this.traffic?.abort();
  }
}
