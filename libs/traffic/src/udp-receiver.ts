import type { RemoteInfo, Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { normalizeAddress } from './address.js';
import { monoMs } from './clock.js';
import { readUdpHeader } from './udp-datagram.js';
import { bindUdp, checkPositive, trySetBufferSize } from './udp-socket.js';

export interface UdpReceiverOptions {
  /** Listen address; default '0.0.0.0'. An IPv6 address binds a dual-stack socket. */
  host?: string;
  /** UDP port; 0 (the default) picks a free one, see `port`. */
  port?: number;
  /** Count only datagrams from this address (IPv4-mapped IPv6 forms match their IPv4 address); others are `ignored`. */
  expectedSource?: string;
  /** Interval sample length, ms. Default 1000. */
  intervalMs?: number;
  /** SO_RCVBUF to ask for, bytes; the kernel may grant less (net.core.rmem_max). Default 4 MiB. */
  receiveBufferBytes?: number;
}

export interface UdpIntervalSample {
  /** Seconds since the first datagram at the end of this interval (the last one ends at the last arrival). */
  t: number;
  /** UDP payload bytes (header included, duplicates included) that arrived in this interval. */
  bytes: number;
  datagrams: number;
}

/** One accepted scenario datagram, emitted as 'datagram' only while someone listens. */
export interface UdpDatagramInfo {
  seq: number;
  /** From the header: the sender's clock, µs. */
  sendTimeUs: number;
  /** Host monotonic clock (clock.ts monoMs() * 1000), µs. */
  arrivalUs: number;
  bytes: number;
  /** A copy of a sequence number already received (not counted as out-of-order, not used for jitter). */
  duplicate: boolean;
  /** First copy of a sequence number lower than the highest one received before it. */
  outOfOrder: boolean;
  remoteAddress: string;
  remotePort: number;
}

/**
 * What the host counted of a wifi-udp-upload. Definitions:
 * - `lost` = `expected` - `uniqueDatagrams`, where `expected` = highest sequence number + 1 (or the
 *   sender's own count when summary() is given it and it is larger): datagrams lost after the last
 *   one received cannot be seen from sequence numbers alone. Duplicates never offset losses.
 * - `outOfOrder`: first copies of a sequence number that arrive after a higher one did.
 * - `duplicates`: further copies of a sequence number already received.
 * - `jitterMs`: RFC 3550 §6.4.1 interarrival jitter, J += (|D| - J) / 16 with
 *   D = (R_j - R_i) - (S_j - S_i) in µs between consecutive arrivals (arrival order, duplicates
 *   skipped), S from the header and R the host's monotonic clock; reported in ms.
 */
export interface UdpReceiverSummary {
  localAddress: string;
  localPort: number;
  /** Source of the first counted datagram; null before one arrived. */
  remoteAddress: string | null;
  remotePort: number | null;
  /** Scenario datagrams counted, duplicates included. */
  datagrams: number;
  /** Their UDP payload bytes (16-byte header included), duplicates included. */
  bytes: number;
  uniqueDatagrams: number;
  uniqueBytes: number;
  duplicates: number;
  outOfOrder: number;
  /** -1 before a datagram arrived. */
  highestSeq: number;
  expected: number;
  lost: number;
  /** 100 * lost / expected; 0 when nothing was expected. */
  lossPercent: number;
  jitterMs: number;
  /** Wall clock of the first and last arrival, epoch ms; null before one. */
  firstArrivalAt: number | null;
  lastArrivalAt: number | null;
  /** First to last arrival, seconds. */
  durationS: number;
  /**
   * Throughput over first to last arrival: (bytes - the first datagram's bytes) / 1024 / durationS.
   * The first arrival starts the clock, so its datagram is not part of the interval (counting it
   * would overstate the rate by one datagram, 0.7% for 143 of them). 0 with fewer than two arrival times.
   */
  kibps: number;
  /** Datagrams from other sources than `expectedSource`. */
  ignored: number;
  /** Datagrams from the expected source without an ESB1 header (shorter than 16 bytes or another magic). */
  invalid: number;
  intervals: UdpIntervalSample[];
  /** SO_RCVBUF in effect, bytes (as the kernel reports it). */
  receiveBufferBytes: number;
}

export interface UdpReceiverEvents {
  interval: [sample: UdpIntervalSample];
  datagram: [info: UdpDatagramInfo];
  close: [summary: UdpReceiverSummary];
}

/** 2^16 sequence numbers per bitmap chunk (8 KiB); chunks exist only where datagrams arrived. */
const CHUNK_BITS = 16;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;

/** Host endpoint of wifi-udp-upload: counts the board's datagrams by sequence number. */
export class UdpReceiver extends EventEmitter<UdpReceiverEvents> {
  /** The bound port (the one picked when asked for 0). */
  readonly port: number;
  readonly address: string;

  private readonly expectedSource: string | null;
  private readonly seen = new Map<number, Uint32Array>();
  private matchedSource: string | null = null;
  private remote: { address: string; port: number } | null = null;
  private datagrams = 0;
  private bytes = 0;
  private unique = 0;
  private uniqueBytes = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  private highest = -1;
  private ignored = 0;
  private invalid = 0;
  private jitterUs = 0;
  private prevTransitUs: number | null = null;
  private firstMs: number | null = null;
  private firstBytes = 0;
  private lastMs = 0;
  private readonly mono0 = monoMs();
  private readonly epoch0 = Date.now();
  private intervals: UdpIntervalSample[] = [];
  private lastInterval = { t: 0, bytes: 0, datagrams: 0 };
  private intervalTimer: NodeJS.Timeout | null = null;
  private closing: Promise<UdpReceiverSummary> | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly intervalMs: number,
    expectedSource: string | undefined,
    /** SO_RCVBUF in effect, bytes (as the kernel reports it: Linux doubles the size asked for). */
    readonly receiveBufferBytes: number,
  ) {
    super();
    const a = socket.address();
    this.port = a.port;
    this.address = normalizeAddress(a.address);
    this.expectedSource = expectedSource === undefined ? null : normalizeAddress(expectedSource);
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // recvmsg errors (ICMP reports and the like) must not crash the process; nothing to count.
    socket.on('error', () => {});
  }

  static async start(opts: UdpReceiverOptions = {}): Promise<UdpReceiver> {
    checkPositive('intervalMs', opts.intervalMs);
    checkPositive('receiveBufferBytes', opts.receiveBufferBytes);
    const socket = await bindUdp(opts.host ?? '0.0.0.0', opts.port ?? 0);
    const rcvbuf = trySetBufferSize(socket, 'recv', opts.receiveBufferBytes ?? 4 * 1024 * 1024);
    return new UdpReceiver(socket, opts.intervalMs ?? 1000, opts.expectedSource, rcvbuf);
  }

  /** Sends from the receiving socket, e.g. a simulated board's download hello. */
  send(data: Buffer | string, port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.socket.send(data, port, address, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err); // closed
      }
    });
  }

  /**
   * The counts so far (or final, after close). `sent`: the sender's own datagram count when known
   * (the board's result); a larger one than the highest sequence number + 1 counts the tail as lost.
   */
  summary(sent?: number): UdpReceiverSummary {
    const expected = Math.max(this.highest + 1, sent ?? 0);
    const lost = Math.max(expected - this.unique, 0);
    const durationS = this.firstMs === null ? 0 : (this.lastMs - this.firstMs) / 1000;
    return {
      localAddress: this.address,
      localPort: this.port,
      remoteAddress: this.remote?.address ?? null,
      remotePort: this.remote?.port ?? null,
      datagrams: this.datagrams,
      bytes: this.bytes,
      uniqueDatagrams: this.unique,
      uniqueBytes: this.uniqueBytes,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      highestSeq: this.highest,
      expected,
      lost,
      lossPercent: expected > 0 ? (100 * lost) / expected : 0,
      jitterMs: this.jitterUs / 1000,
      firstArrivalAt: this.firstMs === null ? null : this.epochOf(this.firstMs),
      lastArrivalAt: this.firstMs === null ? null : this.epochOf(this.lastMs),
      durationS,
      kibps: durationS > 0 ? (this.bytes - this.firstBytes) / 1024 / durationS : 0,
      ignored: this.ignored,
      invalid: this.invalid,
      intervals: [...this.intervals],
      receiveBufferBytes: this.receiveBufferBytes,
    };
  }

  /** Stops receiving; emits the last partial interval, then 'close'. Resolves with the final summary. */
  close(): Promise<UdpReceiverSummary> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.intervalTimer) clearInterval(this.intervalTimer);
      this.intervalTimer = null;
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    }).then(() => {
      if (this.firstMs !== null && this.bytes !== this.lastInterval.bytes) this.emitInterval(this.lastMs);
      const s = this.summary();
      this.emit('close', s);
      return s;
    });
    return this.closing;
  }

  private epochOf(mono: number): number {
    return this.epoch0 + (mono - this.mono0);
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const nowMs = monoMs();
    if (this.closing) return;
    if (this.expectedSource !== null && rinfo.address !== this.matchedSource) {
      if (normalizeAddress(rinfo.address) !== this.expectedSource) {
        this.ignored++;
        return;
      }
      this.matchedSource = rinfo.address;
    }
    const h = readUdpHeader(msg);
    if (!h) {
      this.invalid++;
      return;
    }
    const seq = h.seq;
    this.datagrams++;
    this.bytes += msg.length;
    if (this.firstMs === null) {
      this.firstMs = nowMs;
      this.firstBytes = msg.length;
      this.remote = { address: normalizeAddress(rinfo.address), port: rinfo.port };
      this.intervalTimer = setInterval(() => this.emitInterval(monoMs()), this.intervalMs);
      this.intervalTimer.unref();
    }
    this.lastMs = nowMs;

    let chunk = this.seen.get(seq >>> CHUNK_BITS);
    if (!chunk) this.seen.set(seq >>> CHUNK_BITS, (chunk = new Uint32Array(1 << (CHUNK_BITS - 5))));
    const bit = seq & CHUNK_MASK;
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    const duplicate = (chunk[word]! & mask) !== 0;
    let outOfOrder = false;
    const arrivalUs = nowMs * 1000;
    if (duplicate) {
      this.duplicates++;
    } else {
      chunk[word] = chunk[word]! | mask;
      this.unique++;
      this.uniqueBytes += msg.length;
      if (seq < this.highest) {
        outOfOrder = true;
        this.outOfOrder++;
      } else {
        this.highest = seq;
      }
      const transit = arrivalUs - h.sendTimeUs;
      if (this.prevTransitUs !== null) this.jitterUs += (Math.abs(transit - this.prevTransitUs) - this.jitterUs) / 16;
      this.prevTransitUs = transit;
    }
    if (this.listenerCount('datagram') > 0) {
      this.emit('datagram', {
        seq,
        sendTimeUs: h.sendTimeUs,
        arrivalUs,
        bytes: msg.length,
        duplicate,
        outOfOrder,
        remoteAddress: normalizeAddress(rinfo.address),
        remotePort: rinfo.port,
      });
    }
  }

  private emitInterval(atMs: number): void {
    if (this.firstMs === null) return;
    const t = Math.max((atMs - this.firstMs) / 1000, this.lastInterval.t);
    const s: UdpIntervalSample = {
      t,
      bytes: this.bytes - this.lastInterval.bytes,
      datagrams: this.datagrams - this.lastInterval.datagrams,
    };
    this.lastInterval = { t, bytes: this.bytes, datagrams: this.datagrams };
    this.intervals.push(s);
    this.emit('interval', s);
  }
}
