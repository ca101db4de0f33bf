import { StringDecoder } from 'node:string_decoder';

/** Longest line kept; the rest of an over-long line is dropped and counted. */
export const MAX_LINE_BYTES = 64 * 1024;

// CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST) and two-byte escapes.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
// C0 controls other than tab, plus DEL; a stray lone ESC too.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export interface FramedLine {
  /** Clean text: no `\r`, no ANSI codes, no control characters; invalid UTF-8 shows as U+FFFD. */
  line: string;
  /** Bytes dropped from this line because it exceeded MAX_LINE_BYTES. */
  droppedBytes: number;
}

/**
 * Splits a serial byte stream into lines on `\n`. Memory stays bounded by MAX_LINE_BYTES whatever
 * arrives: garbage without newlines is cut, not accumulated.
 */
export class LineFramer {
  private parts: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  push(chunk: Buffer): FramedLine[] {
    const out: FramedLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.append(chunk.subarray(start, nl));
      out.push(this.take());
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return out;
  }

  /** Emit what is pending as a last line (end of stream). */
  end(): FramedLine[] {
    return this.size > 0 || this.dropped > 0 ? [this.take()] : [];
  }

  private append(bytes: Buffer): void {
    const room = this.maxLineBytes - this.size;
    if (bytes.length <= room) {
      if (bytes.length) {
        this.parts.push(Buffer.from(bytes));
        this.size += bytes.length;
      }
      return;
    }
    if (room > 0) {
      this.parts.push(Buffer.from(bytes.subarray(0, room)));
      this.size += room;
    }
    this.dropped += bytes.length - Math.max(room, 0);
  }

  private take(): FramedLine {
    const raw = Buffer.concat(this.parts, this.size);
    const decoder = new StringDecoder('utf8');
    const text = decoder.write(raw) + decoder.end();
    const line = stripAnsi(text).replace(CONTROL, '');
    const framed = { line, droppedBytes: this.dropped };
    this.parts = [];
    this.size = 0;
    this.dropped = 0;
    return framed;
  }
}
