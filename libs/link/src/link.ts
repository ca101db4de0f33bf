import { EventEmitter } from 'node:events';
import { LineFramer, type FramedLine } from './framer.js';

export interface LinkLine extends FramedLine {
  /** Wall clock when the line's newline arrived, epoch ms. */
  t: number;
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
