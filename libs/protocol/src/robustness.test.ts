import { describe, expect, it } from 'vitest';
import { BoardParser, parseLines } from './parser.js';
import { MAX_LINE_CHARS, cleanLine } from './sanitize.js';

/** Deterministic pseudo-random text, including control characters, ESC and U+FFFD. */
function noiseLine(seed: number, length: number): string {
  let s = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const pick = s >>> 24;
    out += pick < 16 ? String.fromCharCode(pick) : pick < 24 ? '\uFFFD' : pick < 28 ? '\x1b' : String.fromCharCode(32 + (pick % 95));
  }
  return out;
}

describe('cleanLine', () => {
  it('removes escape sequences, NULs and control bytes, and trailing whitespace', () => {
    expect(cleanLine('\x1b[32mINFO - ok\x1b[0m  ')).toBe('INFO - ok');
    expect(cleanLine('\x00\x00read EOF\x07')).toBe('read EOF');
    expect(cleanLine('\x1b]0;title\x07Starting wifi')).toBe('Starting wifi');
    expect(cleanLine('half\x1b[3')).toBe('half[3');
    expect(cleanLine('\uFFFDkeep\uFFFD')).toBe('\uFFFDkeep\uFFFD');
  });

  it('cuts overlong lines', () => {
    expect(cleanLine('a'.repeat(MAX_LINE_CHARS * 2))).toHaveLength(MAX_LINE_CHARS);
  });
});

describe('hostile input', () => {
  it('never throws and keeps parsing valid lines after noise', () => {
    const parser = new BoardParser();
    for (let i = 0; i < 300; i++) {
      expect(() => parser.feed(noiseLine(i, (i * 97) % 2000))).not.toThrow();
    }
    parser.flush();
    expect(parser.feed('download: 42 kB/s')).toEqual([{ type: 'test-result', scenario: 'wifi-tcp-download', kibps: 42 }]);
  });

  it('handles 64 KiB lines quickly', () => {
    const huge = [noiseLine(7, 64 * 1024), 'x'.repeat(64 * 1024), `connecting to ${'9'.repeat(64 * 1024)}`, `${'='.repeat(64 * 1024)} PANIC`];
    const started = performance.now();
    const events = parseLines([...huge, 'read EOF']);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(events.at(-1)).toEqual({ type: 'read-eof' });
  });

  it('survives noise inside a panic block and still completes it', () => {
    const parser = new BoardParser();
    parser.feed('====================== PANIC ======================');
    parser.feed('panicked at src/x.rs:1:1:');
    for (let i = 0; i < 1000; i++) parser.feed(noiseLine(i, 200));
    const rest = [...parser.feed('ESP-ROM:esp32c3-api1-20210207'), ...parser.flush()];
    expect(rest.map((e) => e.type)).toContain('rom');
  });

  it('strips stray escapes and NULs before matching', () => {
    expect(parseLines(['\x00\x00Testing download...', '\x1b[0mread EOF\x1b[0m', 'upload: 7 kB/s\x00'])).toEqual([
      { type: 'test-start', scenario: 'wifi-tcp-download' },
      { type: 'read-eof' },
      { type: 'test-result', scenario: 'wifi-tcp-upload', kibps: 7 },
    ]);
  });

  it('tolerates a non-string from untyped callers', () => {
    const parser = new BoardParser();
    expect(() => parser.feed(undefined as unknown as string)).not.toThrow();
    expect(() => parser.feed(12 as unknown as string)).not.toThrow();
  });
});
