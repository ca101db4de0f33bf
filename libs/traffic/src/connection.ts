import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { normalizeAddress, procKey, type ProcKey } from './address.js';
import { monoMs } from './clock.js';
import { lowerEnvelope, SampleLog } from './estimator.js';
import { Counters } from './pumps.js';
import type { QueueSubscriber, TxQueueSampler } from './tcp-queue.js';
import type { ConnectionSummary, Endpoint, Estimate, EstimateMethod, IntervalSample } from './types.js';

export interface MeteredConnectionEvents {
  interval: [sample: IntervalSample];
  close: [summary: ConnectionSummary];
}

interface NodeStreamHandle {
  bytesWritten?: number;
  writeQueueSize?: number;
}

type CloseReason = ConnectionSummary['closeReason'];

/** Measured direction per endpoint: download and echo are judged by what reaches the board. */
const TX_METERED: Record<Endpoint, boolean> = { download: true, upload: false, echo: true };

/** One accepted connection with live counters; see docs/measurement.md for the figures. */
export class MeteredConnection extends EventEmitter<MeteredConnectionEvents> implements QueueSubscriber {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Wall clock at accept, epoch ms. */
  readonly acceptedAt: number;
  readonly procKey: ProcKey | null;
  readonly closed: Promise<ConnectionSummary>;
  /** @internal Updated by the endpoint pump. */
  readonly counters = new Counters();

  private readonly t0 = monoMs();
  private tx = new SampleLog();
  private txKnown = 0;
  private intervals: IntervalSample[] = [];
  private intervalTimer: NodeJS.Timeout | null = null;
  private lastInterval = { t: 0, tx: 0, rx: 0, acked: 0 };
  private reason: CloseReason = 'open';
  private error: string | null = null;
  private hostClosing = false;
  private summary: ConnectionSummary | null = null;
  /** Seconds from accept to close, once closed. */
  private closedAtS: number | null = null;
  private resolveClosed!: (s: ConnectionSummary) => void;

  constructor(
    readonly id: number,
    readonly endpoint: Endpoint,
    private readonly socket: Socket,
    private readonly sampler: TxQueueSampler,
    intervalMs: number,
  ) {
    super();
    this.acceptedAt = Date.now();
    this.remoteAddress = normalizeAddress(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = normalizeAddress(socket.localAddress);
    this.localPort = socket.localPort ?? 0;
    this.procKey =
      socket.localAddress && socket.remoteAddress
        ? procKey(socket.localAddress, this.localPort, socket.remoteAddress, this.remotePort)
        : null;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.reason !== 'open') return;
      this.reason = this.hostClosing ? 'server-close' : err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'error';
      if (this.reason === 'error') this.error = err.message;
    });
    socket.on('end', () => {
      if (this.reason === 'open') this.reason = 'end';
    });
    socket.on('close', () => this.finish());

    if (TX_METERED[endpoint]) sampler.add(this);
    this.intervalTimer = setInterval(() => this.emitInterval(), intervalMs);
    this.intervalTimer.unref();
  }

  /** Bytes the kernel accepted from us so far (including a partly written buffer). */
  get txBytes(): number {
    return this.kernelTx();
  }

  get rxBytes(): number {
    return this.counters.rx;
  }

  get isOpen(): boolean {
    return this.summary === null;
  }

  /** Ends the connection from the host side (closeReason 'server-close'). */
  destroy(): void {
    if (this.summary) return;
    this.hostClosing = true;
    this.kernelTx();
    this.socket.destroy();
  }

  /** The summary so far (closeReason 'open' while the connection lasts), or the final one. */
  snapshot(): ConnectionSummary {
    if (this.summary) return this.summary;
    return this.buildSummary(Date.now(), this.kernelTx(), [...this.intervals], 'open');
  }

  /** @internal Called by the sampler: txQueue is unacknowledged bytes at tMono. */
  onQueueSample(tMono: number, txQueue: number): void {
    // Written bytes are read after the queue was, so written - queue never falls below what was acknowledged then.
    this.tx.push((tMono - this.t0) / 1000, this.kernelTx() - txQueue);
  }

  // Completed writes miss the part of the current buffer the kernel already took (up to a whole
  // 256 KiB buffer, which would bias acked bytes low); Node's stream handle knows the bytes handed
  // to libuv and what libuv still holds. Never decreases, and survives the handle's close.
  private kernelTx(): number {
    const h = (this.socket as unknown as { _handle?: NodeStreamHandle | null })._handle;
    let v = this.counters.txDone;
    if (h && typeof h.bytesWritten === 'number' && typeof h.writeQueueSize === 'number') {
      v = Math.max(v, h.bytesWritten - h.writeQueueSize);
    }
    if (v > this.txKnown) this.txKnown = v;
    return this.txKnown;
  }

  private emitInterval(): void {
    const t = (monoMs() - this.t0) / 1000;
    const tx = this.kernelTx();
    const rx = this.counters.rx;
    const sampled = this.tx.length > 0 && this.sampler.usesProc && this.procKey;
    const acked = Math.max(this.lastInterval.acked, sampled ? this.tx.value(this.tx.length - 1) : tx);
    const s: IntervalSample = {
      t,
      txBytes: tx - this.lastInterval.tx,
      ackedTxBytes: acked - this.lastInterval.acked,
      rxBytes: rx - this.lastInterval.rx,
    };
    this.lastInterval = { t, tx, rx, acked };
    this.intervals.push(s);
    this.emit('interval', s);
  }

  private finish(): void {
    if (this.summary) return;
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    this.sampler.delete(this);
    if (this.reason === 'open') this.reason = this.hostClosing ? 'server-close' : 'end';
    this.closedAtS = (monoMs() - this.t0) / 1000;
    const tx = this.kernelTx();
    if (tx !== this.lastInterval.tx || this.counters.rx !== this.lastInterval.rx) this.emitInterval();
    this.summary = this.buildSummary(Date.now(), tx, this.intervals, this.reason);
    this.emit('close', this.summary);
    this.resolveClosed(this.summary);
  }

  private buildSummary(now: number, txBytes: number, intervals: IntervalSample[], closeReason: CloseReason): ConnectionSummary {
    return {
      id: this.id,
      endpoint: this.endpoint,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      localPort: this.localPort,
      acceptedAt: this.acceptedAt,
      endedAt: now,
      txBytes,
      rxBytes: this.counters.rx,
      intervals,
      estimate: this.estimate(txBytes),
      closeReason,
      error: this.error,
    };
  }

  /**
   * The estimate as if the transfer had ended at `endAt` (epoch ms): the runner knows from the board's
   * result line when it stopped reading, and bytes acknowledged after that never reached its application.
   */
  estimateUntil(endAt: number): Estimate {
    const untilS = (endAt - this.acceptedAt) / 1000;
    return this.estimate(this.summary?.txBytes ?? this.kernelTx(), untilS);
  }

  private estimate(txBytes: number, untilS = Infinity): Estimate {
    if (!TX_METERED[this.endpoint]) {
      const bytes = this.counters.rx;
      const durationS = bytes > 0 ? Math.max((this.counters.lastRxMs - this.t0) / 1000, 0) : 0;
      return { direction: 'rx', bytes, durationS, kibps: durationS > 0 ? bytes / 1024 / durationS : 0, method: 'received' };
    }
    let method: EstimateMethod = this.sampler.usesProc && this.procKey ? 'acked-envelope' : 'written-envelope';
    let log = this.tx;
    if (log.length === 0 && txBytes > 0) {
      // Too short for a single sample: all we know is what was written by now.
      method = 'written-envelope';
      log = new SampleLog();
      log.push(this.closedAtS ?? (monoMs() - this.t0) / 1000, txBytes);
    }
    const { rate, tEnd } = lowerEnvelope(log, { untilS });
    return { direction: 'tx', bytes: Math.round(rate * tEnd), durationS: tEnd, kibps: rate / 1024, method };
  }
}
