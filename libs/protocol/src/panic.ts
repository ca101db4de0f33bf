import type { BoardEventOf } from './events.js';

/*
 * esp-backtrace's panic handler (esp-rs/esp-hal esp-backtrace/src/lib.rs, read at 5711821d, Aug 2026),
 * one esp-println `println!` per line, each ending in a bare `\n`:
 *
 *   <ESC>[31m                     only with the `colors` feature (on by default), on a line of its own
 *   (empty)
 *   ====================== PANIC ======================
 *   panicked at src/bin/x.rs:10:5:  core::panic::PanicInfo's Display (Rust >= 1.73); the message
 *   <message, may span lines>       follows on the next line(s). Rust < 1.73: `panicked at 'msg', src/x.rs:10:5`
 *   <ESC>[0m                      `colors` only; esp-backtrace <= 0.17 printed it after the trailing empties instead
 *   (empty)
 *   Backtrace:
 *   (empty)
 *   0x42001234                    `0x{:x}` of each frame's PC (10 frames at most by default), or on RISC-V
 *                                 without frames: `No backtrace available - make sure to force frame-pointers. ...`
 *   (empty) (empty) (empty)
 *
 * Since esp-backtrace 0.18, RISC-V firmware built without frame pointers prints, instead of the three
 * Backtrace lines and frames, one `STACKDUMP: <pc as 8 hex digits> <stack bytes as hex>` line of up to 64 KiB.
 * ESP-IDF style `0x400d1234:0x3ffb1234` (PC:SP) pairs are accepted too, keeping the PC.
 */

/** Bounds so that a hostile stream cannot grow a pending panic without limit. */
export const MAX_PANIC_MESSAGE_LINES = 64;
export const MAX_PANIC_LINE_CHARS = 1024;
export const MAX_BACKTRACE_FRAMES = 128;

export const PANIC_HEADER = /^=+ PANIC =+$/;

const NEW_STYLE = /^panicked at ([^'].*:\d+:\d+):?$/;
const OLD_STYLE_ONE_LINE = /^panicked at '(.*)', (.+:\d+:\d+)$/;
const OLD_STYLE_START = /^panicked at '(.*)$/;
const OLD_STYLE_END = /^(.*)', (.+:\d+:\d+)$/;
const FRAMES = /^0x[0-9a-f]{1,16}(?::0x[0-9a-f]{1,16})?(?:\s+0x[0-9a-f]{1,16}(?::0x[0-9a-f]{1,16})?)*$/i;
const STACKDUMP = /^STACKDUMP: ([0-9a-f]{1,8})(?: ([0-9a-f]*))?/i;
const NO_BACKTRACE = 'No backtrace available';

/**
 * What a line did to an open panic block:
 * - `pending`: it belongs to the block, which stays open;
 * - `complete`: it was the block's last line;
 * - `ended`: it does not belong to the block, which is complete; parse the line on its own.
 */
export type PanicFeed = 'pending' | 'complete' | 'ended';

/** Collects the lines of one esp-backtrace panic block after its PANIC header. */
export class PanicBlock {
  private phase: 'info' | 'backtrace' = 'info';
  private readonly messageLines: string[] = [];
  private location: string | null = null;
  private oldStyleOpen = false;
  private readonly frames: string[] = [];
  private note: string | null = null;

  /** Takes a cleaned line; ROM banners and PANIC headers are the caller's to check first. */
  feed(line: string): PanicFeed {
    return this.phase === 'info' ? this.feedInfo(line) : this.feedBacktrace(line);
  }

  finish(): BoardEventOf<'panic'> {
    const lines = [...this.messageLines];
    while (lines[0] === '') lines.shift();
    while (lines[lines.length - 1] === '') lines.pop();
    return { type: 'panic', message: lines.join('\n'), location: this.location, backtrace: [...this.frames], note: this.note };
  }

  private feedInfo(line: string): PanicFeed {
    if (line === 'Backtrace:') {
      this.phase = 'backtrace';
      return 'pending';
    }
    const stackDump = STACKDUMP.exec(line);
    if (stackDump) {
      this.note = `STACKDUMP: ${stackDump[1]} (${Math.floor((stackDump[2]?.length ?? 0) / 2)} stack bytes)`;
      return 'complete';
    }
    if (this.messageLines.length >= MAX_PANIC_MESSAGE_LINES) return 'ended';
    this.addInfoLine(line.length > MAX_PANIC_LINE_CHARS ? line.slice(0, MAX_PANIC_LINE_CHARS) : line);
    return 'pending';
  }

  private addInfoLine(line: string): void {
    if (this.oldStyleOpen) {
      const end = OLD_STYLE_END.exec(line);
      if (end) {
        this.oldStyleOpen = false;
        this.location = end[2] ?? null;
        this.messageLines.push(end[1] ?? '');
      } else {
        this.messageLines.push(line);
      }
      return;
    }
    const first = this.location === null && this.messageLines.length === 0;
    if (first && line === '') return;
    if (first) {
      const oneLine = OLD_STYLE_ONE_LINE.exec(line);
      if (oneLine) {
        this.location = oneLine[2] ?? null;
        this.messageLines.push(oneLine[1] ?? '');
        return;
      }
      const newStyle = NEW_STYLE.exec(line);
      if (newStyle) {
        this.location = newStyle[1] ?? null;
        return;
      }
      const start = OLD_STYLE_START.exec(line);
      if (start) {
        this.oldStyleOpen = true;
        this.messageLines.push(start[1] ?? '');
        return;
      }
    }
    this.messageLines.push(line);
  }

  private feedBacktrace(line: string): PanicFeed {
    if (line === '') return this.frames.length === 0 ? 'pending' : 'ended';
    if (FRAMES.test(line)) {
      for (const token of line.split(/\s+/)) {
        if (this.frames.length >= MAX_BACKTRACE_FRAMES) break;
        this.frames.push(token.split(':')[0] ?? token);
      }
      return 'pending';
    }
    if (this.frames.length === 0 && line.startsWith(NO_BACKTRACE)) {
      this.note = line.length > MAX_PANIC_LINE_CHARS ? line.slice(0, MAX_PANIC_LINE_CHARS) : line;
      return 'complete';
    }
    return 'ended';
  }
}
