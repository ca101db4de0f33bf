import { EventEmitter } from 'node:events';
import type { SerialPortInfo } from './adapters.js';
import { LinkError } from './errors.js';
import { LineFramer, type FramedLine } from './framer.js';
import type { ResetOutcome } from './reset.js';

export interface LinkLine extends FramedLine {
  /** Wall clock when the line's newline arrived, epoch ms. */
  t: number;
}

/** Waiting for a vanished port to come back (see SerialLink.reopen). */
export interface ReopenOptions {
  timeoutMs: number;
  /** Only a port with this USB serial number is the same board; null or absent: any board at the path. */
  serialNumber?: string | null;
  pollMs?: number;
  signal?: AbortSignal;
}

export interface LinkEvents {
  line: [LinkLine];
  /** Raw bytes as received, for the run's raw log. */
  data: [Buffer];
  /** The transport ended; `reason` is null for a requested close. */
  close: [reason: string | null];
}

/**
 * A board's serial console as a stream of lines, whatever carries it (UART, a child process,
 * ser2net, the simulator). Subclasses feed bytes into `receive()` and call `ended()` once.
 */
export abstract class LineLink extends EventEmitter<LinkEvents> {
  abstract readonly kind: 'serial' | 'exec' | 'tcp' | 'sim';
  private readonly framer = new LineFramer();
  private closed = false;
  protected closing = false;

  constructor(readonly uri: string) {
    super();
  }

  abstract open(): Promise<void>;
  /** Send bytes to the board (its UART RX). */
  abstract write(data: string | Buffer): Promise<void>;
  protected abstract doClose(): Promise<void>;

  /**
   * Restart the board into its application (DTR/RTS). Only serial ports with modem control lines can;
   * the others say why not.
   */
  async reset(): Promise<ResetOutcome> {
    return { done: false, reason: `${this.kind}: devices have no DTR/RTS lines to reset the board with` };
  }

  /** The USB identity of the port (serial ports in the system's listing), or null. */
  async identify(): Promise<SerialPortInfo | null> {
    return null;
  }

  /** Whether `reopen` can bring this link back after it ended (a serial port that was unplugged). */
  get reopenable(): boolean {
    return false;
  }

  /** A new, open link to the same board once it is back; rejects with LinkError when it does not return. */
  reopen(_opts: ReopenOptions): Promise<LineLink> {
    return Promise.reject(new LinkError('closed', `${this.uri} cannot be reopened`));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    await this.doClose();
    this.ended(null);
  }

  protected receive(chunk: Buffer): void {
    this.emit('data', chunk);
    const t = Date.now();
    for (const framed of this.framer.push(chunk)) this.emit('line', { ...framed, t });
  }

  protected ended(reason: string | null): void {
    if (this.closed) return;
    this.closed = true;
    const t = Date.now();
    for (const framed of this.framer.end()) this.emit('line', { ...framed, t });
    this.emit('close', this.closing ? null : reason);
  }
}
