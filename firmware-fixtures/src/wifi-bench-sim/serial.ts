import type { Writable } from 'node:stream';
import type { EolMode } from './options.js';
import type { StallGate } from './stall-gate.js';

/**
 * The board's UART TX. While the board is stalled, output is held back and released in order at the
 * thaw, as a CPU resuming mid-println would.
 */
export class SerialOut {
  /** Terminator of the app's (esp-println's) lines. */
  readonly eol: string;
  private readonly romEol: string;
  private held: Array<{ bytes: Buffer; line: string | null }> = [];
  private cancelThaw: (() => void) | null = null;

  constructor(
    private readonly out: Writable,
    eol: EolMode,
    private readonly gate: StallGate,
    private readonly onLine: (line: string) => void = () => {},
  ) {
    this.eol = eol === 'crlf' ? '\r\n' : '\n';
    this.romEol = eol === 'lf' ? '\n' : '\r\n';
  }

  /** A `println!` of the app. */
  line(text: string): void {
    this.write(Buffer.from(text + this.eol, 'utf8'), text);
  }

  lines(texts: readonly string[]): void {
    for (const text of texts) this.line(text);
  }

  /** Lines of the ROM and the second-stage bootloader. */
  romLines(texts: readonly string[]): void {
    for (const text of texts) this.write(Buffer.from(text + this.romEol, 'utf8'), text);
  }

  raw(bytes: Buffer): void {
    this.write(bytes, null);
  }

  /** Drops output held during a stall (on stop). */
  dispose(): void {
    this.cancelThaw?.();
    this.cancelThaw = null;
    this.held = [];
  }

  private write(bytes: Buffer, line: string | null): void {
    if (this.gate.frozen) {
      this.held.push({ bytes, line });
      this.cancelThaw ??= this.gate.onThaw(() => this.release());
      return;
    }
    this.emit(bytes, line);
  }

  private release(): void {
    this.cancelThaw = null;
    const held = this.held;
    this.held = [];
    for (const { bytes, line } of held) this.emit(bytes, line);
  }

  private emit(bytes: Buffer, line: string | null): void {
    if (this.out.writable && !this.out.destroyed) this.out.write(bytes);
    if (line !== null) this.onLine(line);
  }
}
