import { describe, expect, it } from 'vitest';
import { LineFramer, MAX_LINE_BYTES, stripAnsi } from './framer.js';

const lines = (framer: LineFramer, ...chunks: (string | Buffer)[]) =>
  chunks.flatMap((c) => framer.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c)).map((l) => l.line);

describe('LineFramer', () => {
  it('splits on \\n, strips \\r, joins lines split across chunks', () => {
    const f = new LineFramer();
    expect(lines(f, 'Testing down', 'load...\r\nconnecting to 10.0.0.1:4321...\r', '\n')).toEqual([
      'Testing download...',
      'connecting to 10.0.0.1:4321...',
    ]);
    expect(f.end()).toEqual([]);
  });

  it('strips ANSI colour codes', () => {
    expect(stripAnsi('\x1b[31m====== PANIC ======\x1b[0m')).toBe('====== PANIC ======');
    const f = new LineFramer();
    expect(lines(f, '\x1b[1;33mWARN - x\x1b[0m\r\n')).toEqual(['WARN - x']);
  });

  it('survives NULs and invalid UTF-8, and the next valid line still parses', () => {
    const f = new LineFramer();
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x00, 0x0d, 0x0a]);
    const out = lines(f, garbage, 'download: 976 kB/s\r\n');
    expect(out[0]).not.toMatch(/\x00/);
    expect(out[0]).toContain('\uFFFD');
    expect(out[1]).toBe('download: 976 kB/s');
  });

  it('keeps UTF-8 split across chunks intact', () => {
    const f = new LineFramer();
    const bytes = Buffer.from('µs\n', 'utf8');
    expect(lines(f, bytes.subarray(0, 1), bytes.subarray(1))).toEqual(['µs']);
  });

  it('bounds an over-long line and counts what it dropped', () => {
    const f = new LineFramer();
    const big = Buffer.alloc(MAX_LINE_BYTES * 3, 0x41);
    const out = [...f.push(big.subarray(0, MAX_LINE_BYTES * 2)), ...f.push(big.subarray(MAX_LINE_BYTES * 2)), ...f.push(Buffer.from('\nok\n'))];
    expect(out).toHaveLength(2);
    expect(out[0]!.line.length).toBe(MAX_LINE_BYTES);
    expect(out[0]!.droppedBytes).toBe(MAX_LINE_BYTES * 2);
    expect(out[1]).toEqual({ line: 'ok', droppedBytes: 0 });
  });

  it('emits a pending partial line at end of stream', () => {
    const f = new LineFramer();
    expect(lines(f, 'partial')).toEqual([]);
    expect(f.end().map((l) => l.line)).toEqual(['partial']);
  });
});
