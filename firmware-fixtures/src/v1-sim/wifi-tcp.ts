import type net from 'node:net';
import { IO_BUFFER_SIZE, CONNECT_TIMEOUT_MS } from '../wifi-bench-sim/firmware.js';
import { DRY_GRACE_MS } from '../wifi-bench-sim/pacers.js';
import { connectBoardSocket, type BoardSocket, type ConnectErrorName } from '../wifi-bench-sim/tcp.js';
import { RateBucket } from './bucket.js';
import { SIM_CHANNEL } from './options.js';
import { DEFAULT_TCP_PAYLOAD } from './protocol.js';
import { Run, type RunRole } from './run.js';

/** Another read is started only while at least this much budget is left. */
const MIN_READ_BUDGET = IO_BUFFER_SIZE / 2;

interface PacerClock {
  clock: () => number;
  startMs: number;
  deadlineMs: number;
}

/** Writes `chunk`-sized buffers of zeros at a (changeable) rate, honouring backpressure. */
export class TcpWriter {
  total = 0;
  done = false;
  private waitingForDrain = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly bucket: RateBucket;
  private readonly chunk: Buffer;

  constructor(
    private readonly socket: net.Socket,
    chunkBytes: number,
    rateBps: number,
    private readonly time: PacerClock,
  ) {
    this.chunk = Buffer.alloc(chunkBytes);
    this.bucket = new RateBucket(rateBps, time.startMs);
  }

  start(): void {
    this.pump();
  }

  /** Writes what is due by now (unless waiting for 'drain'), as the next timer would. */
  catchUp(): void {
    this.pump();
  }

  setRate(rateBps: number): void {
    if (this.done) return;
    this.bucket.setRate(rateBps, this.now(), this.waitingForDrain);
    if (!this.waitingForDrain) this.pump();
  }

  /** At the deadline, writes what was due by then unless the peer is not taking data. */
  finish(atDeadline: boolean): void {
    if (this.done) return;
    clearTimeout(this.timer);
    if (atDeadline && !this.waitingForDrain) {
      this.bucket.refill(this.time.deadlineMs, false);
      while (this.bucket.tokens >= this.chunk.length / 2 && this.writeChunk());
    }
    this.stop();
  }

  stop(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.socket.off('drain', this.onDrain);
  }

  private now(): number {
    return Math.min(this.time.clock(), this.time.deadlineMs);
  }

  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    if (this.done) return;
    this.bucket.refill(this.now(), true);
    this.pump();
  };

  private readonly pump = (): void => {
    if (this.done || this.waitingForDrain) return;
    clearTimeout(this.timer);
    this.bucket.refill(this.now(), false);
    while (this.bucket.tokens >= this.chunk.length / 2) {
      if (!this.writeChunk()) return;
    }
    const wait = this.bucket.msUntil(Math.max(this.chunk.length / 2, this.bucket.capacity / 2));
    if (Number.isFinite(wait)) this.timer = setTimeout(this.pump, Math.max(1, wait));
  };

  private writeChunk(): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    const accepted = this.socket.write(this.chunk);
    this.total += this.chunk.length;
    this.bucket.take(this.chunk.length);
    if (!accepted) {
      this.waitingForDrain = true;
      this.socket.once('drain', this.onDrain);
    }
    return accepted;
  }
}

/**
 * Reads at a (changeable) rate through the firmware's 1024-byte buffer, pausing the socket whenever the
 * budget runs out. After a short read (the peer ran dry) idle credit is capped beyond DRY_GRACE_MS, as in the
 * WiFi bench sim.
 */
export class TcpReader {
  total = 0;
  done = false;
  private held = false;
  private peerHadData = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly bucket: RateBucket;

  constructor(
    private readonly conn: BoardSocket,
    rateBps: number,
    private readonly time: PacerClock,
  ) {
    this.bucket = new RateBucket(rateBps, time.startMs);
  }

  start(): void {
    const early = this.conn.claim((bytes) => this.onBytes(bytes));
    this.total += early;
    this.bucket.take(early);
    this.wake();
  }

  setRate(rateBps: number): void {
    if (this.done) return;
    this.bucket.setRate(rateBps, this.now(), !this.held && !this.peerHadData);
    if (this.held) this.wake();
  }

  finish(): void {
    this.done = true;
    clearTimeout(this.timer);
    this.conn.socket.pause();
  }

  private now(): number {
    return Math.min(this.time.clock(), this.time.deadlineMs);
  }

  private onBytes(bytes: number): boolean {
    if (this.done) {
      this.conn.socket.pause();
      return false;
    }
    this.total += bytes;
    this.bucket.take(bytes);
    this.bucket.refill(this.now(), !this.peerHadData, DRY_GRACE_MS);
    this.peerHadData = bytes >= IO_BUFFER_SIZE;
    return this.bucket.tokens >= MIN_READ_BUDGET ? true : this.hold();
  }

  private hold(): false {
    this.held = true;
    this.conn.socket.pause();
    clearTimeout(this.timer);
    const wait = this.bucket.msUntil(Math.max(MIN_READ_BUDGET, this.bucket.capacity / 2));
    if (Number.isFinite(wait)) this.timer = setTimeout(this.wake, Math.max(1, wait));
    return false;
  }

  private readonly wake = (): void => {
    if (this.done) return;
    clearTimeout(this.timer);
    this.bucket.refill(this.now(), false);
    if (this.bucket.tokens < MIN_READ_BUDGET) {
      this.hold();
      return;
    }
    this.held = false;
    this.conn.socket.resume();
  };
}

const CONNECT_ERROR_TEXT: Record<ConnectErrorName, string> = {
  ConnectionReset: 'connection refused (ConnectionReset)',
  TimedOut: `timed out after ${CONNECT_TIMEOUT_MS / 1000} s (TimedOut)`,
  NoRoute: 'no route (NoRoute)',
};

/**
 * `wifi-tcp-download` (read and count), `wifi-tcp-upload` (write), `wifi-tcp-updown` (write and read): one
 * TCP connection from the board's `ip` to `host`, each direction paced at the scenario's rate × the WiFi
 * airtime share.
 */
export class TcpRun extends Run {
  readonly role: RunRole =
    this.spec.scenario === 'wifi-tcp-download' ? 'receiver' : this.spec.scenario === 'wifi-tcp-upload' ? 'sender' : 'echo';
  private conn: BoardSocket | null = null;
  private reader: TcpReader | null = null;
  private writer: TcpWriter | null = null;
  private closeTimer: NodeJS.Timeout | undefined;

  private get baseRate(): number {
    return this.env.options.rates[this.spec.scenario as 'wifi-tcp-download'];
  }

  protected async begin(): Promise<void> {
    const { ip, port } = this.spec.host ?? { ip: '', port: 0 };
    const from = this.env.options.ip;
    const outcome = await connectBoardSocket(ip, port, from, CONNECT_TIMEOUT_MS, this.controller.signal);
    if (this.state !== 'pending') {
      if (outcome.ok) outcome.conn.abort();
      return;
    }
    if (!outcome.ok) {
      this.fail('connect-failed', `TCP connect to ${ip}:${port} from ${from}: ${CONNECT_ERROR_TEXT[outcome.error]}`);
      return;
    }
    const conn = outcome.conn;
    this.conn = conn;
    const lost = (err?: NodeJS.ErrnoException): void => {
      if (this.state === 'running') this.fail('disconnected', `TCP connection to ${ip}:${port} lost: ${err?.code ?? 'closed'}`);
    };
    conn.socket.on('end', () => this.peerEnded());
    conn.socket.on('error', lost);
    conn.socket.on('close', () => lost());
    this.markStarted();

    const time = { clock: this.env.clock, startMs: this.startMs, deadlineMs: this.deadlineMs };
    const rate = this.baseRate * this.env.share('wifi');
    if (this.role !== 'receiver') this.writer = new TcpWriter(conn.socket, this.spec.payload ?? DEFAULT_TCP_PAYLOAD, rate, time);
    if (this.role !== 'sender') this.reader = new TcpReader(conn, rate, time);
    this.writer?.start();
    this.reader?.start();
  }

  protected counted(): number {
    return this.role === 'sender' ? (this.writer?.total ?? 0) : (this.reader?.total ?? 0);
  }

  protected override catchUp(): void {
    this.writer?.catchUp();
  }

  protected details(): Record<string, unknown> {
    const details: Record<string, unknown> = { rssi: this.env.wifiRssi, channel: SIM_CHANNEL };
    if (this.role === 'echo') Object.assign(details, { tx_bytes: this.writer?.total ?? 0, rx_bytes: this.reader?.total ?? 0 });
    return details;
  }

  setShare(share: number): void {
    this.writer?.setRate(this.baseRate * share);
    this.reader?.setRate(this.baseRate * share);
  }

  protected finishIo(atDeadline: boolean): void {
    this.writer?.finish(atDeadline);
    this.reader?.finish();
    const socket = this.conn?.socket;
    if (!socket || socket.destroyed) return;
    // FIN after the last write so the host reads every byte; RST if it never closes its side.
    socket.end();
    this.closeTimer = setTimeout(() => this.conn?.abort(), 2000);
    this.closeTimer.unref();
  }

  protected teardown(): void {
    this.writer?.stop();
    this.reader?.finish();
    clearTimeout(this.closeTimer);
    this.conn?.abort();
  }

  protected halt(): void {
    this.writer?.stop();
    this.reader?.finish();
  }
}
