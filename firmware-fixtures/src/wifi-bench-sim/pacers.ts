import type net from 'node:net';
import { IO_BUFFER_SIZE } from './firmware.js';
import type { StallGate } from './stall-gate.js';
import type { BoardSocket } from './tcp.js';
import { TokenBucket, bucketCapacity } from './token-bucket.js';

/**
 * Another read or write is started only while at least half an IO buffer of budget is left, so the
 * count at the deadline is within half a buffer of rate × duration (the budget can end up at most half a
 * buffer positive or negative).
 */
const MIN_BUDGET = IO_BUFFER_SIZE / 2;
/** After the deadline, reads still due by the deadline may take this long to arrive. */
const CATCH_UP_GRACE_MS = 25;
/**
 * After a short read, this much of the wait for the next bytes is still credited in full. On loopback TCP
 * under CPU load the next segment can take tens of milliseconds even from a host with megabytes queued
 * (and this process may be slow to read it); a board on real WiFi would not see that gap.
 */
export const DRY_GRACE_MS = 100;
const ZEROS = Buffer.alloc(IO_BUFFER_SIZE);

interface PacerInit {
  rateBytesPerS: number;
  /** Monotonic milliseconds. */
  clock: () => number;
  startMs: number;
  deadlineMs: number;
  gate: StallGate;
  onDone: () => void;
}

/** Shared budget bookkeeping: time is clamped to the deadline, and a stall is never credited. */
abstract class Pacer {
  done = false;
  total = 0;
  protected readonly bucket: TokenBucket;
  protected timer: NodeJS.Timeout | undefined;
  protected cancelThaw: (() => void) | null = null;
  private seenFreezes: number;

  constructor(protected readonly init: PacerInit) {
    this.bucket = new TokenBucket(init.rateBytesPerS, bucketCapacity(init.rateBytesPerS), init.startMs);
    this.seenFreezes = init.gate.freezes;
  }

  protected now(): number {
    return Math.min(this.init.clock(), this.init.deadlineMs);
  }

  /** `graceMs`: see TokenBucket.refill; a stall is never credited. */
  protected refill(at: number, capped: boolean, graceMs = 0): void {
    const stalled = this.init.gate.freezes !== this.seenFreezes;
    this.seenFreezes = this.init.gate.freezes;
    this.bucket.refill(at, capped || stalled, stalled ? 0 : graceMs);
  }

  /** Budget level at which a paused pacer wakes up: half the bucket, so wake-ups stay ≥ ~2 ms apart. */
  protected get wakeLevel(): number {
    return Math.max(MIN_BUDGET, this.bucket.capacity / 2);
  }

  protected schedule(fn: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, Math.max(1, this.bucket.msUntil(this.wakeLevel)));
  }

  protected afterThaw(fn: () => void): void {
    this.cancelThaw?.();
    this.cancelThaw = this.init.gate.onThaw(() => {
      this.cancelThaw = null;
      fn();
    });
  }

  /** Stops for good (deadline, EOF, error, reboot). Idempotent; `notify` false on abort. */
  finish(notify = true): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.cancelThaw?.();
    this.cancelThaw = null;
    this.stopIo();
    if (notify) this.init.onDone();
  }

  protected abstract stopIo(): void;
}

/**
 * Reads at the paced rate; pauses the socket whenever the budget runs out. A full 1024-byte read means
 * the peer had data waiting, so the time since the previous read is credited in full even if the event
 * loop was slow to call us; only after a short read (the peer ran dry) is the credit capped, and only
 * for a silence longer than DRY_GRACE_MS.
 */
export class PacedReader extends Pacer {
  private mode: 'reading' | 'held' | 'catch-up' = 'reading';
  private peerHadData = true;
  private readonly socket: net.Socket;

  constructor(
    private readonly conn: BoardSocket,
    init: PacerInit,
  ) {
    super(init);
    this.socket = conn.socket;
  }

  start(): void {
    const early = this.conn.claim((bytes) => this.onBytes(bytes));
    this.total += early;
    this.bucket.take(early);
    this.wake();
  }

  /** Test timeout: read what was due by the deadline, then stop. */
  finishAtDeadline(): void {
    if (this.done) return;
    clearTimeout(this.timer);
    this.refill(this.init.deadlineMs, this.mode === 'reading' && !this.peerHadData, DRY_GRACE_MS);
    if (this.bucket.tokens < MIN_BUDGET || this.socket.destroyed || this.socket.readableEnded) {
      this.finish();
      return;
    }
    this.mode = 'catch-up';
    this.timer = setTimeout(() => this.finish(), CATCH_UP_GRACE_MS);
    this.socket.resume();
  }

  protected stopIo(): void {
    this.socket.pause();
  }

  private onBytes(bytes: number): boolean {
    if (this.done) {
      this.socket.pause();
      return false;
    }
    this.total += bytes;
    this.bucket.take(bytes);
    if (this.mode === 'catch-up') {
      if (this.bucket.tokens >= MIN_BUDGET) return true;
      this.finish();
      return false;
    }
    if (this.init.gate.frozen) return this.hold();
    this.refill(this.now(), !this.peerHadData, DRY_GRACE_MS);
    this.peerHadData = bytes >= IO_BUFFER_SIZE;
    return this.bucket.tokens >= MIN_BUDGET ? true : this.hold();
  }

  private hold(): false {
    this.mode = 'held';
    this.socket.pause();
    if (this.init.gate.frozen) this.afterThaw(() => this.wake());
    else this.schedule(() => this.wake());
    return false;
  }

  private wake(): void {
    if (this.done) return;
    if (this.init.gate.frozen) {
      this.hold();
      return;
    }
    this.refill(this.now(), false);
    if (this.bucket.tokens < MIN_BUDGET) {
      this.hold();
      return;
    }
    this.mode = 'reading';
    this.socket.resume();
  }
}

/** Writes IO-buffer-sized chunks of zeros at the paced rate, honouring backpressure. */
export class PacedWriter extends Pacer {
  private waitingForDrain = false;
  private readonly socket: net.Socket;

  constructor(conn: BoardSocket, init: PacerInit) {
    super(init);
    this.socket = conn.socket;
  }

  start(): void {
    this.pump();
  }

  /** Test timeout: write what was due by the deadline unless the peer is not taking data, then stop. */
  finishAtDeadline(): void {
    if (this.done) return;
    clearTimeout(this.timer);
    if (!this.waitingForDrain) {
      this.refill(this.init.deadlineMs, false);
      while (this.bucket.tokens >= MIN_BUDGET && this.writeChunk());
    }
    this.finish();
  }

  protected stopIo(): void {
    this.socket.off('drain', this.onDrain);
  }

  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    if (this.done) return;
    this.refill(this.now(), true);
    this.pump();
  };

  private pump(): void {
    if (this.done || this.waitingForDrain) return;
    if (this.init.gate.frozen) {
      this.afterThaw(() => this.pump());
      return;
    }
    this.refill(this.now(), false);
    while (this.bucket.tokens >= MIN_BUDGET) {
      if (!this.writeChunk()) return;
    }
    this.schedule(() => this.pump());
  }

  /** One `socket.write(&buf)`; false when the socket is not taking more for now. */
  private writeChunk(): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    const accepted = this.socket.write(ZEROS);
    this.total += IO_BUFFER_SIZE;
    this.bucket.take(IO_BUFFER_SIZE);
    if (!accepted) {
      this.waitingForDrain = true;
      this.socket.once('drain', this.onDrain);
    }
    return accepted;
  }
}
