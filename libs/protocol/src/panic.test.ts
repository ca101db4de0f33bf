import { describe, expect, it } from 'vitest';
import { MAX_BACKTRACE_FRAMES, MAX_PANIC_LINE_CHARS, MAX_PANIC_MESSAGE_LINES } from './panic.js';
import { BoardParser, parseLines } from './parser.js';

const HEADER = '====================== PANIC ======================';
const NO_BACKTRACE = 'No backtrace available - make sure to force frame-pointers. (see https://crates.io/crates/esp-backtrace)';

describe('esp-backtrace panic block', () => {
  it('emits panic-begin at the header and the panic when a non-frame line follows the frames', () => {
    const parser = new BoardParser();
    expect(parser.feed('')).toEqual([]);
    expect(parser.feed(HEADER)).toEqual([{ type: 'panic-begin' }]);
    for (const line of ['panicked at src/bin/embassy_wifi_bench.rs:123:5:', 'boom', '', 'Backtrace:', '', '0x42001234', '0x42005678']) {
      expect(parser.feed(line)).toEqual([]);
    }
    expect(parser.feed('')).toEqual([
      { type: 'panic', message: 'boom', location: 'src/bin/embassy_wifi_bench.rs:123:5', backtrace: ['0x42001234', '0x42005678'], note: null },
    ]);
    expect(parser.feed('')).toEqual([]);
    expect(parser.flush()).toEqual([]);
  });

  it('parses the line that ended the block normally', () => {
    expect(parseLines([HEADER, 'panicked at src/x.rs:1:2:', 'm', '', 'Backtrace:', '', '0x42000010', 'Testing download...'])).toEqual([
      { type: 'panic-begin' },
      { type: 'panic', message: 'm', location: 'src/x.rs:1:2', backtrace: ['0x42000010'], note: null },
      { type: 'test-start', scenario: 'wifi-tcp-download' },
    ]);
  });

  it('joins a multi-line message and keeps its inner empty lines and indentation', () => {
    const events = parseLines([HEADER, 'panicked at src/x.rs:10:5:', 'assertion `left == right` failed', '  left: 0', '', ' right: 1', '', '', 'Backtrace:', '', '0x42000010']);
    expect(events[1]).toMatchObject({ type: 'panic', message: 'assertion `left == right` failed\n  left: 0\n\n right: 1' });
  });

  it('reads the pre-1.73 one-line form', () => {
    expect(parseLines([HEADER, "panicked at 'index out of bounds', src/main.rs:10:5", '', 'Backtrace:', '', '0x400d1234'])[1]).toEqual({
      type: 'panic', message: 'index out of bounds', location: 'src/main.rs:10:5', backtrace: ['0x400d1234'], note: null,
    });
  });

  it('reads the pre-1.73 form when the message spans lines', () => {
    expect(parseLines([HEADER, "panicked at 'first", "second, it's', src/main.rs:10:5", '', 'Backtrace:', '', '0x400d1234'])[1]).toMatchObject({
      message: "first\nsecond, it's", location: 'src/main.rs:10:5',
    });
  });

  it('skips empty lines between the header and the panic info', () => {
    expect(parseLines([HEADER, '', '', 'panicked at src/x.rs:3:4:', 'm', '', 'Backtrace:', '', '0x42000010'])[1]).toMatchObject({ message: 'm', location: 'src/x.rs:3:4' });
  });

  it('keeps a message without a recognisable location', () => {
    expect(parseLines([HEADER, 'something odd', '', 'Backtrace:', '', '0x42000010'])[1]).toMatchObject({ message: 'something odd', location: null });
  });

  it('keeps the PC of Xtensa PC:SP pairs', () => {
    expect(parseLines([HEADER, 'panicked at src/x.rs:1:1:', 'm', '', 'Backtrace:', '', '0x400d1234:0x3ffb1234', '0x400d5678:0x3ffb1250 0x40080abc:0x3ffb1270'])[1]).toMatchObject({
      backtrace: ['0x400d1234', '0x400d5678', '0x40080abc'],
    });
  });

  it('stores the RISC-V no-backtrace text as the note', () => {
    expect(parseLines([HEADER, 'panicked at src/x.rs:1:1:', 'm', '', 'Backtrace:', '', NO_BACKTRACE, '', '', ''])).toEqual([
      { type: 'panic-begin' },
      { type: 'panic', message: 'm', location: 'src/x.rs:1:1', backtrace: [], note: NO_BACKTRACE },
    ]);
  });

  it('summarises a RISC-V STACKDUMP line (esp-backtrace >= 0.18 without frame pointers) in the note', () => {
    expect(parseLines([HEADER, 'panicked at src/x.rs:1:1:', 'm', `STACKDUMP: 42001a2c ${'ab'.repeat(8192)}`, '', '', ''])).toEqual([
      { type: 'panic-begin' },
      { type: 'panic', message: 'm', location: 'src/x.rs:1:1', backtrace: [], note: 'STACKDUMP: 42001a2c (8192 stack bytes)' },
    ]);
  });

  it('emits the panic as soon as the note or the stack dump line arrives, since nothing else follows', () => {
    const parser = new BoardParser();
    for (const line of [HEADER, 'panicked at src/x.rs:1:1:', 'm', '', 'Backtrace:', '']) parser.feed(line);
    expect(parser.feed(NO_BACKTRACE).map((e) => e.type)).toEqual(['panic']);

    for (const line of [HEADER, 'panicked at src/x.rs:1:1:', 'm']) parser.feed(line);
    expect(parser.feed('STACKDUMP: 42001a2c 00ff').map((e) => e.type)).toEqual(['panic']);
    expect(parser.flush()).toEqual([]);
  });

  it('is completed by flush() when the stream ends inside it', () => {
    const parser = new BoardParser();
    parser.feed(HEADER);
    parser.feed('panicked at src/x.rs:1:1:');
    parser.feed('half a mess');
    expect(parser.flush()).toEqual([{ type: 'panic', message: 'half a mess', location: 'src/x.rs:1:1', backtrace: [], note: null }]);
    expect(parser.flush()).toEqual([]);
    expect(parser.feed('read EOF')).toEqual([{ type: 'read-eof' }]);
  });

  it('is completed by a ROM banner, which is then parsed', () => {
    expect(parseLines([HEADER, 'panicked at src/x.rs:1:1:', 'm', '', 'Backtrace:', '', '0x42000010', 'ESP-ROM:esp32c3-api1-20210207'])).toEqual([
      { type: 'panic-begin' },
      { type: 'panic', message: 'm', location: 'src/x.rs:1:1', backtrace: ['0x42000010'], note: null },
      { type: 'rom', chip: 'esp32c3', romVersion: 'esp32c3-api1-20210207' },
    ]);
    expect(parseLines([HEADER, 'panicked at src/x.rs:1:1:', 'ets Jun  8 2016 00:22:57']).map((e) => e.type)).toEqual(['panic-begin', 'panic', 'rom']);
  });

  it('is completed by a second PANIC header, which starts a new block', () => {
    expect(parseLines([HEADER, 'panicked at src/a.rs:1:1:', 'first', HEADER, 'panicked at src/b.rs:2:2:', 'second']).map((e) => (e.type === 'panic' ? e.location : e.type))).toEqual([
      'panic-begin', 'src/a.rs:1:1', 'panic-begin', 'src/b.rs:2:2',
    ]);
  });

  it('caps message lines and hands the excess back to normal parsing', () => {
    const filler = Array.from({ length: MAX_PANIC_MESSAGE_LINES + 5 }, (_, i) => `line ${i}`);
    const events = parseLines([HEADER, 'panicked at src/x.rs:1:1:', ...filler]);
    const panic = events.find((e) => e.type === 'panic');
    expect(panic?.type === 'panic' && panic.message.split('\n')).toHaveLength(MAX_PANIC_MESSAGE_LINES);
    expect(events.filter((e) => e.type === 'log')).toHaveLength(5);
  });

  it('caps the length of a message line and the number of frames', () => {
    const frames = Array.from({ length: MAX_BACKTRACE_FRAMES + 50 }, (_, i) => `0x${(0x42000000 + i * 4).toString(16)}`);
    const events = parseLines([HEADER, 'panicked at src/x.rs:1:1:', 'x'.repeat(10_000), '', 'Backtrace:', '', ...frames]);
    const panic = events[1];
    expect(panic?.type).toBe('panic');
    if (panic?.type !== 'panic') return;
    expect(panic.message).toHaveLength(MAX_PANIC_LINE_CHARS);
    expect(panic.backtrace).toHaveLength(MAX_BACKTRACE_FRAMES);
    expect(panic.backtrace[0]).toBe('0x42000000');
  });

  it('needs a whole line of frames; a hex-looking log line ends the block', () => {
    expect(parseLines([HEADER, 'panicked at src/x.rs:1:1:', 'm', '', 'Backtrace:', '', '0x42000010', '0x42000020 is odd']).map((e) => e.type)).toEqual([
      'panic-begin', 'panic', 'log',
    ]);
  });
});
