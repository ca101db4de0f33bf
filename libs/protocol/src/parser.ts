import { loggerLevel, matchBenchLine } from './bench-lines.js';
import { findRomBanner, matchBootloader, matchReset } from './boot-lines.js';
import type { BoardEvent } from './events.js';
import { PANIC_HEADER, PanicBlock } from './panic.js';
import { cleanLine } from './sanitize.js';

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Turns a board's serial lines into events, one line at a time. Lines come already framed (no line
 * ending, colour codes stripped); leftover escapes, NULs and control bytes are removed here anyway and
 * nothing a line contains makes it throw.
 *
 * Empty (or whitespace-only) lines outside a panic block produce no event. Every other line that is
 * not recognised becomes a `log` event.
 */
export class BoardParser {
  private panic: PanicBlock | null = null;
  /** Chip of the last ROM banner, until the `rst:` line of the same boot takes it. */
  private romChip: string | null = null;

  feed(line: string): BoardEvent[] {
    const text = typeof line === 'string' ? line : String(line);
    const events: BoardEvent[] = [];
    if (LINE_BREAK.test(text)) {
      for (const part of text.split(LINE_BREAK)) this.feedOne(cleanLine(part), events);
    } else {
      this.feedOne(cleanLine(text), events);
    }
    return events;
  }

  /** Completes whatever is pending (an unfinished panic block) at the end of the stream or when it goes idle. */
  flush(): BoardEvent[] {
    const events: BoardEvent[] = [];
    this.finishPanic(events);
    return events;
  }

  private feedOne(line: string, events: BoardEvent[]): void {
    if (this.panic) {
      const startsOver = PANIC_HEADER.test(line) || findRomBanner(line) !== null;
      const outcome = startsOver ? 'ended' : this.panic.feed(line);
      if (outcome !== 'pending') this.finishPanic(events);
      if (outcome !== 'ended') return;
    }
    this.parseLine(line, events);
  }

  private finishPanic(events: BoardEvent[]): void {
    if (!this.panic) return;
    events.push(this.panic.finish());
    this.panic = null;
  }

  private parseLine(line: string, events: BoardEvent[]): void {
    if (line === '') return;

    if (PANIC_HEADER.test(line)) {
      this.panic = new PanicBlock();
      events.push({ type: 'panic-begin' });
      return;
    }

    const rom = findRomBanner(line);
    if (rom) {
      if (rom.prefix.trim() !== '') events.push({ type: 'log', line: rom.prefix, level: null });
      this.romChip = rom.event.chip;
      events.push(rom.event);
      return;
    }

    const reset = matchReset(line, this.romChip);
    if (reset) {
      this.romChip = null;
      events.push(reset);
      return;
    }

    const event = matchBenchLine(line) ?? matchBootloader(line);
    events.push(event ?? { type: 'log', line, level: loggerLevel(line) });
  }
}

/** Feeds every line to a fresh parser and flushes it. */
export function parseLines(lines: Iterable<string>): BoardEvent[] {
  const parser = new BoardParser();
  const events: BoardEvent[] = [];
  for (const line of lines) events.push(...parser.feed(line));
  events.push(...parser.flush());
  return events;
}
