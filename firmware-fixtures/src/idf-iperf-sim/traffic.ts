import dgram from 'node:dgram';
import net from 'node:net';
import { Bucket } from './bucket.js';

/** The endpoints of a test, for iperf-cmd's `[  1] local a:p connected to b:q` line. */
export interface Endpoints {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

export interface TrafficHooks {
  clock: () => number;
  /** Data can move: the connect completed, a connection was accepted or the first datagram arrived. */
  started(endpoints: Endpoints): void;
  /** A socket error before or during the test (errno name, e.g. ECONNREFUSED). */
  failed(code: string): void;
  /** A log line of the traffic task (accept, socket created, ...). */
  log(level: 'I' | 'W' | 'E', text: string): void;
}

/** One direction of an iperf test: counts payload bytes moved so far. */
export abstract class Traffic {
  bytes = 0;
  done = false;
  constructor(protected readonly hooks: TrafficHooks) {}
  abstract start(): void;
  /** A sender moves what was due by now (before an interval sample). */
  catchUp(): void {}
  /** Payload bytes moved by `nowMs` at the shaped rate (a receiver may have read ahead of its budget). */
  counted(_nowMs: number): number {
    return this.bytes;
  }
  /** Stops moving data at `atMs`, closing gracefully (FIN / end-of-test datagrams). */
  abstract finish(atMs: number): void;
  /** Drops everything at once. */
  abstract abort(): void;
}

/** The write size the sender paces with (the firmware's `-l` buffer is split into pieces of at most this). */
export const TCP_PIECE = 4096;

/** `iperf -c host [-p port]`: connects from the board's address and writes zeros at `rate` B/s. */
export class TcpClient extends Traffic {
  private socket: net.Socket | null = null;
  private bucket: Bucket | null = null;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private readonly piece: Buffer;

  constructor(
    hooks: TrafficHooks,
    private readonly target: { host: string; port: number; from: string },
    private readonly rate: number,
    length: number,
  ) {
    super(hooks);
    this.piece = Buffer.alloc(Math.max(1, Math.min(length, TCP_PIECE)));
  }

  start(): void {
    const socket = net.connect({ host: this.target.host, port: this.target.port, localAddress: this.target.from, noDelay: true });
    this.socket = socket;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.done) return;
      this.stopTimers();
      this.done = true;
      this.hooks.failed(err.code ?? 'EIO');
    });
    socket.on('data', () => {}); // an iperf 2 server may answer; nothing to count
    socket.once('connect', () => {
      if (this.done) return;
      this.bucket = new Bucket(this.rate, this.hooks.clock());
      this.hooks.started({
        localAddress: socket.localAddress ?? this.target.from,
        localPort: socket.localPort ?? 0,
        remoteAddress: this.target.host,
        remotePort: this.target.port,
      });
      this.pump();
    });
  }

  override catchUp(): void {
    this.pump();
  }

  finish(atMs: number): void {
    if (this.done) return;
    this.stopTimers();
    if (this.bucket && !this.waitingForDrain) {
      this.bucket.refill(atMs);
      while (this.bucket.tokens >= this.piece.length / 2 && this.write());
    }
    this.done = true;
    this.socket?.end();
    const socket = this.socket;
    setTimeout(() => socket?.destroy(), 3000).unref();
  }

  abort(): void {
    this.done = true;
    this.stopTimers();
    if (this.socket && !this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private stopTimers(): void {
    clearTimeout(this.timer);
  }

  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    if (this.done) return;
    this.bucket?.refill(this.hooks.clock(), true);
    this.pump();
  };

  private readonly pump = (): void => {
    const bucket = this.bucket;
    if (this.done || this.waitingForDrain || !bucket) return;
    clearTimeout(this.timer);
    bucket.refill(this.hooks.clock());
    while (bucket.tokens >= this.piece.length / 2) if (!this.write()) return;
    const wait = bucket.msUntil(Math.max(this.piece.length / 2, bucket.capacity / 2));
    if (Number.isFinite(wait)) this.timer = setTimeout(this.pump, Math.max(1, wait));
  };

  private write(): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable) return false;
    const accepted = socket.write(this.piece);
    this.bytes += this.piece.length;
    this.bucket?.take(this.piece.length);
    if (!accepted) {
      this.waitingForDrain = true;
      socket.once('drain', this.onDrain);
    }
    return accepted;
  }
}

/** `iperf -s [-p port]`: listens on the board's address, reads (and counts) at `rate` B/s. */
export class TcpServer extends Traffic {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private bucket: Bucket | null = null;
  private timer: NodeJS.Timeout | undefined;
  private paused: net.Socket | null = null;

  constructor(
    hooks: TrafficHooks,
    private readonly listen: { address: string; port: number },
    private readonly rate: number,
  ) {
    super(hooks);
  }

  start(): void {
    const server = net.createServer({ allowHalfOpen: false }, (socket) => this.accept(socket));
    this.server = server;
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (this.done) return;
      this.done = true;
      this.hooks.failed(err.code ?? 'EIO');
    });
    server.listen({ host: this.listen.address, port: this.listen.port }, () => this.hooks.log('I', 'Socket created'));
  }

  private accept(socket: net.Socket): void {
    if (this.done) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
    this.hooks.log('I', `accept: ${socket.remoteAddress ?? '?'},${socket.remotePort ?? 0}`);
    if (!this.bucket) {
      this.bucket = new Bucket(this.rate, this.hooks.clock());
      this.hooks.started({
        localAddress: this.listen.address,
        localPort: this.listen.port,
        remoteAddress: socket.remoteAddress ?? '0.0.0.0',
        remotePort: socket.remotePort ?? 0,
      });
    }
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk.length));
  }

  private onData(socket: net.Socket, length: number): void {
    const bucket = this.bucket;
    if (this.done || !bucket) {
      socket.pause();
      return;
    }
    this.bytes += length;
    bucket.take(length);
    bucket.refill(this.hooks.clock(), true);
    if (bucket.tokens < 0) {
      socket.pause();
      this.paused = socket;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.resume(), Math.max(1, bucket.msUntil(0)));
    }
  }

  private resume(): void {
    if (this.done) return;
    this.bucket?.refill(this.hooks.clock());
    this.paused?.resume();
    this.paused = null;
  }

  /**
   * Node reads up to 64 KiB at a time, ahead of the budget: bytes read beyond it (the bucket's debt) are not
   * yet "received" by the rate-limited board.
   */
  override counted(nowMs: number): number {
    if (!this.bucket) return this.bytes;
    this.bucket.refill(nowMs, this.paused === null);
    return Math.max(0, this.bytes - Math.max(0, -this.bucket.tokens));
  }

  finish(atMs: number): void {
    this.bytes = this.counted(atMs);
    this.bucket = null;
    this.close();
  }

  abort(): void {
    this.close();
  }

  private close(): void {
    if (this.done && !this.server) return;
    this.done = true;
    clearTimeout(this.timer);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.server?.close();
    this.server = null;
  }
}

/** iperf 2's UDP datagram header: int32 id, uint32 tv_sec, uint32 tv_usec (network byte order). */
export function encodeIperfDatagram(id: number, length: number, nowMs: number): Buffer {
  const datagram = Buffer.alloc(Math.max(16, length));
  const micros = Math.round(nowMs * 1000);
  datagram.writeInt32BE(id | 0, 0);
  datagram.writeUInt32BE(Math.floor(micros / 1e6) >>> 0, 4);
  datagram.writeUInt32BE(micros % 1e6, 8);
  return datagram;
}

/** Wall-clock milliseconds for datagram timestamps. */
const wallMs = (): number => performance.timeOrigin + performance.now();

/** How often and how many times the end-of-test datagram is repeated while the server does not answer. */
export const UDP_FIN_REPEAT_MS = 250;
export const UDP_FIN_MAX_SENDS = 10;

/** `iperf -c host -u [-b bw]`: datagrams of `length` bytes from the board's address at min(rate, -b). */
export class UdpClient extends Traffic {
  private socket: dgram.Socket | null = null;
  private bucket: Bucket | null = null;
  private timer: NodeJS.Timeout | undefined;
  private seq: number;
  finSends = 0;
  finAnswered = false;

  constructor(
    hooks: TrafficHooks,
    private readonly target: { host: string; port: number; from: string },
    private readonly rate: number,
    private readonly length: number,
    firstSeq: number,
    private readonly sendFin: boolean,
  ) {
    super(hooks);
    this.seq = firstSeq;
  }

  start(): void {
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.done) return;
      this.done = true;
      clearTimeout(this.timer);
      this.hooks.failed(err.code ?? 'EIO');
    });
    socket.on('message', () => {
      // The iperf 2 server's report, answering the end-of-test datagram.
      this.finAnswered = true;
    });
    socket.bind({ address: this.target.from, port: 0 }, () => {
      if (this.done) return;
      this.hooks.log('I', `Socket created, sending to ${this.target.host}:${this.target.port}`);
      const address = socket.address();
      this.bucket = new Bucket(this.rate, this.hooks.clock(), Math.max(this.length * 4, this.rate * 0.004));
      this.hooks.started({ localAddress: address.address, localPort: address.port, remoteAddress: this.target.host, remotePort: this.target.port });
      this.pump();
    });
  }

  override catchUp(): void {
    this.pump();
  }

  private readonly pump = (): void => {
    const bucket = this.bucket;
    if (this.done || !bucket) return;
    clearTimeout(this.timer);
    bucket.refill(this.hooks.clock());
    while (bucket.tokens >= this.length) this.sendOne();
    const wait = bucket.msUntil(this.length);
    if (Number.isFinite(wait)) this.timer = setTimeout(this.pump, Math.max(1, wait));
  };

  private sendOne(): void {
    this.bucket?.take(this.length);
    this.bytes += this.length;
    this.socket?.send(encodeIperfDatagram(this.seq++, this.length, wallMs()), this.target.port, this.target.host);
  }

  finish(atMs: number): void {
    if (this.done) return;
    clearTimeout(this.timer);
    if (this.bucket) {
      this.bucket.refill(atMs);
      while (this.bucket.tokens >= this.length) this.sendOne();
    }
    this.done = true;
    const socket = this.socket;
    if (!socket) return;
    if (!this.sendFin) {
      setTimeout(() => socket.close(), 200).unref();
      return;
    }
    const fin = (): void => {
      if (this.finAnswered || this.finSends >= UDP_FIN_MAX_SENDS) {
        socket.close();
        return;
      }
      this.finSends++;
      socket.send(encodeIperfDatagram(-this.seq, this.length, wallMs()), this.target.port, this.target.host);
      this.timer = setTimeout(fin, UDP_FIN_REPEAT_MS);
    };
    fin();
  }

  abort(): void {
    this.done = true;
    clearTimeout(this.timer);
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = null;
  }
}

/** `iperf -s -u`: binds the board's address and port, counts datagram bytes it can take in at `rate`. */
export class UdpServer extends Traffic {
  private socket: dgram.Socket | null = null;
  private bucket: Bucket | null = null;
  dropped = 0;

  constructor(
    hooks: TrafficHooks,
    private readonly listen: { address: string; port: number },
    private readonly rate: number,
  ) {
    super(hooks);
  }

  start(): void {
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.done) return;
      this.done = true;
      this.hooks.failed(err.code ?? 'EIO');
    });
    socket.on('message', (msg, rinfo) => {
      if (this.done) return;
      if (!this.bucket) {
        this.bucket = new Bucket(this.rate, this.hooks.clock(), Math.max(8 * msg.length, this.rate * 0.02));
        this.bucket.take(-msg.length);
        this.hooks.started({ localAddress: this.listen.address, localPort: this.listen.port, remoteAddress: rinfo.address, remotePort: rinfo.port });
      }
      this.bucket.refill(this.hooks.clock(), true);
      if (this.bucket.tokens < msg.length) {
        this.dropped++;
        return;
      }
      this.bucket.take(msg.length);
      this.bytes += msg.length;
    });
    socket.bind({ address: this.listen.address, port: this.listen.port }, () => {
      this.hooks.log('I', 'Socket created');
      this.hooks.log('I', `Socket bound, port ${this.listen.port}`);
    });
  }

  finish(): void {
    this.abort();
  }

  abort(): void {
    if (this.done && !this.socket) return;
    this.done = true;
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = null;
  }
}
