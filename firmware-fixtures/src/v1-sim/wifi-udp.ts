import dgram from 'node:dgram';
import { RateBucket } from './bucket.js';
import { LossPattern } from './loss.js';
import { SIM_CHANNEL } from './options.js';
import { DEFAULT_UDP_PAYLOAD, UDP_HEADER_BYTES } from './protocol.js';
import { Run, type RunRole } from './run.js';

export const ESB1_MAGIC = 0x45534231;

/** Microseconds on the board's clock (wall clock, µs since the epoch). */
export function nowMicros(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

/** A datagram of `payload` bytes: `ESB1`, u32 sequence, u64 send time in µs (big-endian), zero filler. */
export function encodeDatagram(seq: number, payload: number, sendMicros: bigint): Buffer {
  const datagram = Buffer.alloc(payload);
  datagram.writeUInt32BE(ESB1_MAGIC, 0);
  datagram.writeUInt32BE(seq >>> 0, 4);
  datagram.writeBigUInt64BE(sendMicros, 8);
  return datagram;
}

export function decodeDatagramHeader(datagram: Buffer): { seq: number; sendMicros: bigint } | null {
  if (datagram.length < UDP_HEADER_BYTES || datagram.readUInt32BE(0) !== ESB1_MAGIC) return null;
  return { seq: datagram.readUInt32BE(4), sendMicros: datagram.readBigUInt64BE(8) };
}

/**
 * Asks for a large receive buffer (best effort: the OS may clamp or refuse it). Small datagrams cost ~1 KB
 * of kernel buffer each, so the default ~208 KB overflows after a short event-loop stall of a busy host
 * machine: loss the simulated link never had.
 */
export function enlargeRecvBuffer(socket: dgram.Socket): void {
  for (const size of [8 << 20, 2 << 20, 1 << 20]) {
    try {
      socket.setRecvBufferSize(size);
      return;
    } catch {
      // Try a smaller one.
    }
  }
}

function bindUdp(address: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address, port: 0 }, () => {
      socket.off('error', onError);
      socket.on('error', () => {});
      enlargeRecvBuffer(socket);
      resolve(socket);
    });
  });
}

/** Closing right after the last send() could drop datagrams still queued in libuv. */
const CLOSE_DELAY_MS = 200;

/**
 * `wifi-udp-upload`: datagrams of `payload` bytes to `host` at min(run `rate`, `udp_upload_rate`) × WiFi
 * share. Sequence numbers the `loss` pattern picks are skipped (counted as sent, never put on the wire).
 */
export class UdpUploadRun extends Run {
  readonly role: RunRole = 'sender';
  private socket: dgram.Socket | null = null;
  private bucket: RateBucket | null = null;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private sent = 0;
  private skipped = 0;
  private readonly loss = new LossPattern(this.env.options.seed, this.env.options.loss);
  private readonly payload = this.spec.payload ?? DEFAULT_UDP_PAYLOAD;

  private get baseRate(): number {
    return Math.min(this.spec.rate ?? Infinity, this.env.options.rates['wifi-udp-upload']);
  }

  protected async begin(): Promise<void> {
    const socket = await bindUdp(this.env.options.ip);
    if (this.state !== 'pending') {
      socket.close();
      return;
    }
    this.socket = socket;
    this.markStarted();
    this.bucket = new RateBucket(this.baseRate * this.env.share('wifi'), this.startMs);
    this.pump();
  }

  private readonly pump = (): void => {
    const bucket = this.bucket;
    if (this.state !== 'running' || !bucket) return;
    clearTimeout(this.timer);
    bucket.refill(this.now(), false);
    while (bucket.tokens >= this.payload) this.sendOne();
    const wait = bucket.msUntil(this.payload);
    if (Number.isFinite(wait)) this.timer = setTimeout(this.pump, Math.max(1, wait));
  };

  private sendOne(): void {
    const seq = this.seq++;
    this.sent++;
    this.bucket?.take(this.payload);
    if (this.loss.isLost(seq)) {
      this.skipped++;
      return;
    }
    const { ip, port } = this.spec.host ?? { ip: '', port: 0 };
    this.socket?.send(encodeDatagram(seq, this.payload, nowMicros()), port, ip);
  }

  protected counted(): number {
    return this.sent * this.payload;
  }

  protected override catchUp(): void {
    this.pump();
  }

  protected details(): Record<string, unknown> {
    return { rssi: this.env.wifiRssi, channel: SIM_CHANNEL, sent: this.sent, payload: this.payload };
  }

  setShare(share: number): void {
    if (this.state !== 'running' || !this.bucket) return;
    this.bucket.setRate(this.baseRate * share, this.now());
    this.pump();
  }

  protected finishIo(atDeadline: boolean): void {
    clearTimeout(this.timer);
    if (atDeadline && this.bucket) {
      this.bucket.refill(this.deadlineMs, false);
      while (this.bucket.tokens >= this.payload) this.sendOne();
    }
    const socket = this.socket;
    this.socket = null;
    if (socket) setTimeout(() => socket.close(), CLOSE_DELAY_MS).unref();
  }

  protected teardown(): void {
    clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
  }

  protected halt(): void {
    clearTimeout(this.timer);
  }
}

/** How often the registration datagram is repeated while nothing has arrived, and how many times at most. */
export const REGISTER_REPEAT_MS = 500;
export const REGISTER_MAX_SENDS = 5;

/**
 * `wifi-udp-download`: binds on `ip`, sends `{"id":"<run id>"}` to `host` (repeated every 500 ms, at most 5
 * times, until the first datagram arrives), then counts ESB1 datagrams. Datagrams the `loss` pattern picks
 * are dropped before counting; so are datagrams beyond what `udp_download_rate` × WiFi share can take in
 * (a bucket holding max(64 KiB, 100 ms of rate)).
 */
export class UdpDownloadRun extends Run {
  readonly role: RunRole = 'receiver';
  private socket: dgram.Socket | null = null;
  private bucket: RateBucket | null = null;
  private registerTimer: NodeJS.Timeout | undefined;
  private registrations = 0;
  private readonly loss = new LossPattern(this.env.options.seed, this.env.options.loss);
  private bytes = 0;
  private received = 0;
  private maxSeq = -1;
  private outOfOrder = 0;
  private dropped = 0;
  private overrun = 0;
  private payload = 0;
  private jitterUs = 0;
  private lastTransitUs: number | null = null;

  private get baseRate(): number {
    return this.env.options.rates['wifi-udp-download'];
  }

  protected async begin(): Promise<void> {
    const socket = await bindUdp(this.env.options.ip);
    if (this.state !== 'pending') {
      socket.close();
      return;
    }
    this.socket = socket;
    socket.on('message', (datagram) => this.onDatagram(datagram));
    this.register();
    this.markStarted();
    this.bucket = new RateBucket(this.baseRate * this.env.share('wifi'), this.startMs, 65536, 0.1);
    this.bucket.fill();
  }

  private readonly register = (): void => {
    const { ip, port } = this.spec.host ?? { ip: '', port: 0 };
    if (!this.socket || this.received > 0 || this.registrations >= REGISTER_MAX_SENDS) return;
    this.registrations++;
    this.socket.send(JSON.stringify({ id: this.id }), port, ip);
    this.registerTimer = setTimeout(this.register, REGISTER_REPEAT_MS);
  };

  private onDatagram(datagram: Buffer): void {
    if (this.state !== 'running' || !this.bucket || this.env.clock() > this.deadlineMs) return;
    const header = decodeDatagramHeader(datagram);
    if (!header) return;
    if (this.loss.isLost(header.seq)) {
      this.dropped++;
      return;
    }
    this.bucket.refill(this.env.clock(), true);
    if (this.bucket.tokens < datagram.length) {
      this.overrun++;
      return;
    }
    this.bucket.take(datagram.length);
    clearTimeout(this.registerTimer);
    this.received++;
    this.bytes += datagram.length;
    this.payload = datagram.length;
    if (header.seq < this.maxSeq) this.outOfOrder++;
    else this.maxSeq = header.seq;
    // RFC 3550 interarrival jitter; the clock offset between host and board cancels out.
    const transitUs = Number(nowMicros() - header.sendMicros);
    if (this.lastTransitUs !== null) this.jitterUs += (Math.abs(transitUs - this.lastTransitUs) - this.jitterUs) / 16;
    this.lastTransitUs = transitUs;
  }

  protected counted(): number {
    return this.bytes;
  }

  protected details(): Record<string, unknown> {
    return {
      rssi: this.env.wifiRssi,
      channel: SIM_CHANNEL,
      received: this.received,
      lost_seq: Math.max(0, this.maxSeq + 1 - this.received),
      out_of_order: this.outOfOrder,
      jitter_ms: Math.round(this.jitterUs) / 1000,
      payload: this.payload,
    };
  }

  setShare(share: number): void {
    this.bucket?.setRate(this.baseRate * share, this.env.clock(), true);
  }

  protected finishIo(): void {
    this.teardown();
  }

  protected teardown(): void {
    clearTimeout(this.registerTimer);
    this.socket?.close();
    this.socket = null;
  }

  protected halt(): void {
    clearTimeout(this.registerTimer);
    this.socket?.removeAllListeners('message');
  }
}
