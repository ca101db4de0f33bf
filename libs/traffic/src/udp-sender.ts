import type { RemoteInfo, Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { normalizeAddress } from './address.js';
import { monoMs } from './clock.js';
import { ConnectionTimeoutError } from './errors.js';
import { parseUdpHello, UDP_HEADER_BYTES, UDP_MAX_PAYLOAD, writeUdpHeader } from './udp-datagram.js';
import { bindUdp, checkPositive, trySetBufferSize } from './udp-socket.js';

export interface UdpSenderOptions {
  /** Listen address; default '0.0.0.0'. An IPv6 address binds a dual-stack socket. */
  host?: string;
  /** UDP port the board sends its hello to; 0 (the default) picks a free one, see `port`. */
  port?: number;
  /** Target rate, bytes/s of UDP payload (headers included). */
  rate: number;
  /** Bytes per datagram (the run's `payload`), 16..65507. Default 1400. */
  payload?: number;
  /** Sending stops this long after the first datagram; without it, at stop() or close(). */
  durationMs?: number;
  /** Accept only a hello with this run id; other hellos are `ignored`. */
  expectedId?: string;
  /** Accept only a hello from this address (IPv4-mapped IPv6 forms match their IPv4 address). */
  expectedSource?: string;
  /**
   * Token bucket depth, ms of `rate` (at least two datagrams): credit the sender may catch up on
   * in one burst after the event loop or the socket held it up. Credit beyond it is dropped and
   * reported as `spilledBytes`. Default 10.
   */
  burstMs?: number;
  /** SO_SNDBUF to ask for, bytes. Default 1 MiB. */
  sendBufferBytes?: number;
  /** Datagrams libuv may hold unsent (the kernel not taking them) before pacing waits. Default 64. */
  maxQueued?: number;
}

/** The board, as learned from its hello datagram. */
export interface UdpPeer {
  /** The run id of the hello. */
  id: string;
  /** Normalised (IPv4-mapped forms as IPv4). */
  address: string;
  port: number;
  /** Wall clock of the hello, epoch ms. */
  at: number;
}

/** 'waiting' for a hello, 'sending', or why sending ended. */
export type UdpSenderState = 'waiting' | 'sending' | 'duration' | 'stopped' | 'closed';

export interface UdpSenderSummary {
  localAddress: string;
  localPort: number;
  peer: UdpPeer | null;
  state: UdpSenderState;
  /** Target rate and datagram size, as configured. */
  rate: number;
  payload: number;
  /** Datagrams the kernel took (send completed without error); sequence numbers 0..datagrams+errors-1 were used. */
  datagrams: number;
  bytes: number;
  /** Sends that failed (EAGAIN, ENOBUFS, ECONNREFUSED after an ICMP error, ECANCELED at close, ...), by code in errorCodes. */
  errors: number;
  errorCodes: Record<string, number>;
  /** Wall clock of the first datagram and of the end of sending, epoch ms. */
  startedAt: number | null;
  endedAt: number | null;
  /** Pacing time: first datagram to the end (durationMs, or stop()), seconds; so far while sending. */
  durationS: number;
  /** bytes / durationS, B/s. */
  achievedRate: number;
  kibps: number;
  /** achievedRate / rate - 1. */
  rateError: number;
  /** Credit the bucket dropped because the loop or the socket fell behind: the shortfall against `rate`, bytes. */
  spilledBytes: number;
  /** Hello datagrams accepted (repeats of the first one included). */
  hellos: number;
  /** Datagrams that were not an acceptable hello (junk, wrong id or source, or another source once the peer is known). */
  ignored: number;
}

export interface UdpSenderEvents {
  peer: [peer: UdpPeer];
  finish: [summary: UdpSenderSummary];
}

/** Datagrams sent in one turn of the event loop before yielding with setImmediate. */
const MAX_BATCH = 256;

interface PeerWaiter {
  resolve: (p: UdpPeer) => void;
  reject: (e: unknown) => void;
}

/**
 * Host endpoint of wifi-udp-download: learns the board's address from its hello datagram, then
 * sends ESB1 datagrams there at `rate` with a token bucket, for `durationMs` or until stop().
 */
export class UdpSender extends EventEmitter<UdpSenderEvents> {
  /** The bound port (the one picked when asked for 0). */
  readonly port: number;
  readonly address: string;
  readonly rate: number;
  readonly payload: number;
  /** Resolves once sending ended and every send completed (also when no hello ever came: state 'stopped'/'closed'). */
  readonly finished: Promise<UdpSenderSummary>;

  private state: UdpSenderState = 'waiting';
  private peerInfo: UdpPeer | null = null;
  private rawPeer: { address: string; port: number } | null = null;
  private connected = false;
  private connecting = false;
  private readonly waiters = new Set<PeerWaiter>();
  private readonly filler: Buffer;
  private readonly cap: number;
  private seq = 0;
  private tokens = 0;
  private t0 = 0;
  private lastRefill = 0;
  private endAt = Infinity;
  private stoppedAt: number | null = null;
  private startedAtEpoch: number | null = null;
  private timeout: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private pending = 0;
  private sent = 0;
  private errors = 0;
  private readonly errorCodes: Record<string, number> = {};
  private spilled = 0;
  private hellos = 0;
  private ignored = 0;
  private socketClosed = false;
  private closing: Promise<void> | null = null;
  private resolveFinished!: (s: UdpSenderSummary) => void;
  private finishedDone = false;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: UdpSenderOptions,
    /** SO_SNDBUF in effect, bytes. */
    readonly sendBufferBytes: number,
  ) {
    super();
    const a = socket.address();
    this.port = a.port;
    this.address = normalizeAddress(a.address);
    this.rate = opts.rate;
    this.payload = opts.payload ?? 1400;
    this.filler = Buffer.alloc(this.payload - UDP_HEADER_BYTES);
    this.cap = Math.max(2 * this.payload, (this.rate * (opts.burstMs ?? 10)) / 1000);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // Asynchronous socket errors (an ICMP port unreachable on the connected socket, ...) are counted, never thrown.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.countError(err);
      if (this.connecting) {
        this.connecting = false;
        this.begin();
      }
    });
    socket.on('close', () => {
      this.socketClosed = true;
      this.maybeResolveFinished();
    });
  }

  static async start(opts: UdpSenderOptions): Promise<UdpSender> {
    if (!(Number.isFinite(opts.rate) && opts.rate > 0)) throw new RangeError(`rate must be a positive number of bytes/s, got ${opts.rate}`);
    const payload = opts.payload ?? 1400;
    if (!Number.isInteger(payload) || payload < UDP_HEADER_BYTES || payload > UDP_MAX_PAYLOAD) {
      throw new RangeError(`payload must be an integer ${UDP_HEADER_BYTES}..${UDP_MAX_PAYLOAD}, got ${payload}`);
    }
    checkPositive('durationMs', opts.durationMs);
    checkPositive('burstMs', opts.burstMs);
    checkPositive('sendBufferBytes', opts.sendBufferBytes);
    checkPositive('maxQueued', opts.maxQueued);
    const socket = await bindUdp(opts.host ?? '0.0.0.0', opts.port ?? 0);
    const sndbuf = trySetBufferSize(socket, 'send', opts.sendBufferBytes ?? 1024 * 1024);
    return new UdpSender(socket, opts, sndbuf);
  }

  /** The board once its hello arrived, else null. */
  get peer(): UdpPeer | null {
    return this.peerInfo;
  }

  /**
   * The board's hello (resolves at once when it already came). Rejects with ConnectionTimeoutError
   * after timeoutMs, with the signal's reason when it aborts, and when the sender closes.
   */
  waitForPeer(timeoutMs: number, signal?: AbortSignal): Promise<UdpPeer> {
    if (this.peerInfo) return Promise.resolve(this.peerInfo);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closing) return Promise.reject(new Error('udp sender closed'));
    return new Promise<UdpPeer>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: PeerWaiter = { resolve: (p) => (done(), resolve(p)), reject: (e) => (done(), reject(e)) };
      const onAbort = () => waiter.reject(signal!.reason);
      const what = [this.opts.expectedId && `for run ${this.opts.expectedId}`, this.opts.expectedSource && `from ${this.opts.expectedSource}`]
        .filter(Boolean)
        .join(' ');
      const timer = setTimeout(
        () => waiter.reject(new ConnectionTimeoutError(`no UDP hello${what ? ` ${what}` : ''} on port ${this.port} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Stops sending (or never starts, before a hello); resolves like `finished`. */
  stop(): Promise<UdpSenderSummary> {
    this.end('stopped');
    return this.finished;
  }

  /** Stops sending and closes the socket; pending waitForPeer calls reject. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.end('closed');
      for (const w of [...this.waiters]) w.reject(new Error('udp sender closed'));
      await new Promise<void>((resolve) => {
        if (this.socketClosed) return resolve();
        try {
          this.socket.close(() => resolve());
        } catch {
          resolve();
        }
      });
      await this.finished;
    })();
    return this.closing;
  }

  /** The figures so far, or the final ones once `finished`. */
  summary(): UdpSenderSummary {
    const end = this.stoppedAt ?? (this.state === 'sending' ? Math.min(monoMs(), this.endAt) : this.t0);
    const durationS = this.startedAtEpoch === null ? 0 : Math.max(end - this.t0, 0) / 1000;
    const bytes = this.sent * this.payload;
    const achievedRate = durationS > 0 ? bytes / durationS : 0;
    return {
      localAddress: this.address,
      localPort: this.port,
      peer: this.peerInfo,
      state: this.state,
      rate: this.rate,
      payload: this.payload,
      datagrams: this.sent,
      bytes,
      errors: this.errors,
      errorCodes: { ...this.errorCodes },
      startedAt: this.startedAtEpoch,
      endedAt: this.startedAtEpoch === null || this.stoppedAt === null ? null : this.startedAtEpoch + (this.stoppedAt - this.t0),
      durationS,
      achievedRate,
      kibps: achievedRate / 1024,
      rateError: durationS > 0 ? achievedRate / this.rate - 1 : 0,
      spilledBytes: this.spilled,
      hellos: this.hellos,
      ignored: this.ignored,
    };
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const address = normalizeAddress(rinfo.address);
    if (this.rawPeer) {
      const again = rinfo.address === this.rawPeer.address && rinfo.port === this.rawPeer.port && parseUdpHello(msg) === this.peerInfo!.id;
      if (again) this.hellos++;
      else this.ignored++;
      return;
    }
    const id = parseUdpHello(msg);
    if (
      id === null ||
      (this.opts.expectedId !== undefined && id !== this.opts.expectedId) ||
      (this.opts.expectedSource !== undefined && address !== normalizeAddress(this.opts.expectedSource))
    ) {
      this.ignored++;
      return;
    }
    this.hellos++;
    this.rawPeer = { address: rinfo.address, port: rinfo.port };
    this.peerInfo = { id, address, port: rinfo.port, at: Date.now() };
    this.emit('peer', this.peerInfo);
    for (const w of [...this.waiters]) w.resolve(this.peerInfo);
    if (this.state !== 'waiting') return;
    // A connected socket sends without a lookup per datagram, only hears from the board, and learns
    // of an ICMP port unreachable (counted as ECONNREFUSED). Should connecting fail (the socket's
    // 'error' handler sees it), sending goes unconnected.
    this.connecting = true;
    try {
      this.socket.connect(rinfo.port, rinfo.address, () => {
        this.connecting = false;
        this.connected = true;
        this.begin();
      });
    } catch {
      this.connecting = false;
      this.begin();
    }
  }

  private begin(): void {
    if (this.state !== 'waiting') return;
    this.state = 'sending';
    this.t0 = monoMs();
    this.startedAtEpoch = Date.now();
    this.lastRefill = this.t0;
    this.tokens = this.payload;
    if (this.opts.durationMs !== undefined) this.endAt = this.t0 + this.opts.durationMs;
    this.tick();
  }

  private readonly tick = (): void => {
    this.timeout = null;
    this.immediate = null;
    if (this.state !== 'sending') return;
    const now = monoMs();
    const until = Math.min(now, this.endAt);
    if (until > this.lastRefill) {
      this.tokens += ((until - this.lastRefill) * this.rate) / 1000;
      this.lastRefill = until;
      if (this.tokens > this.cap) {
        this.spilled += this.tokens - this.cap;
        this.tokens = this.cap;
      }
    }
    const maxQueued = this.opts.maxQueued ?? 64;
    let n = 0;
    while (this.tokens >= this.payload && n < MAX_BATCH && this.socket.getSendQueueCount() < maxQueued) {
      this.sendOne();
      this.tokens -= this.payload;
      n++;
    }
    if (now >= this.endAt) {
      this.end('duration');
      return;
    }
    if (n >= MAX_BATCH && this.tokens >= this.payload) {
      this.immediate = setImmediate(this.tick);
    } else {
      const waitMs = this.tokens >= this.payload ? 1 : ((this.payload - this.tokens) * 1000) / this.rate;
      this.timeout = setTimeout(this.tick, Math.max(1, Math.min(waitMs, this.endAt - now)));
    }
  };

  private sendOne(): void {
    const header = writeUdpHeader(Buffer.allocUnsafe(UDP_HEADER_BYTES), this.seq, monoMs() * 1000);
    this.seq = (this.seq + 1) >>> 0;
    const msg = this.filler.length > 0 ? [header, this.filler] : header;
    this.pending++;
    try {
      if (this.connected) this.socket.send(msg, this.onSent);
      else this.socket.send(msg, this.rawPeer!.port, this.rawPeer!.address, this.onSent);
    } catch (err) {
      this.onSent(err as Error);
    }
  }

  private readonly onSent = (err: Error | null): void => {
    this.pending--;
    if (err) this.countError(err as NodeJS.ErrnoException);
    else this.sent++;
    this.maybeResolveFinished();
  };

  private countError(err: NodeJS.ErrnoException): void {
    this.errors++;
    const code = err.code ?? err.name;
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
  }

  private end(reason: 'duration' | 'stopped' | 'closed'): void {
    if (this.state !== 'waiting' && this.state !== 'sending') return;
    if (this.state === 'sending') this.stoppedAt = reason === 'duration' ? this.endAt : Math.min(monoMs(), this.endAt);
    this.state = reason;
    if (this.timeout) clearTimeout(this.timeout);
    if (this.immediate) clearImmediate(this.immediate);
    this.timeout = null;
    this.immediate = null;
    this.maybeResolveFinished();
  }

  private maybeResolveFinished(): void {
    if (this.finishedDone || this.state === 'waiting' || this.state === 'sending') return;
    if (this.pending > 0 && !this.socketClosed) return;
    this.finishedDone = true;
    const s = this.summary();
    this.emit('finish', s);
    this.resolveFinished(s);
  }
}
