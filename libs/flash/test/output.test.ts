import { describe, expect, it } from 'vitest';
import { OutputSplitter, parseBar, parseReport, stripAnsi, type BarFrame } from '../src/index.js';

describe('espflash output', () => {
  it('reads indicatif bars', () => {
    expect(parseBar('[00:01:07] [========================================]     641/641     0x10000')).toEqual({ address: 0x10000, pos: 641, len: 641, percent: 100, verifying: false, skipped: false });
    expect(parseBar('[00:00:00] [>                                       ]       1/405     0x10000')).toMatchObject({ pos: 1, len: 405, percent: 0 });
    expect(parseBar('[00:00:02] [=========>                              ]     100/405     0x10000  Verifying...')).toMatchObject({ percent: 24, verifying: true });
    expect(parseBar('[00:00:00] [========================================]       1/1       0x8000   Skipped! (checksum matches)')).toMatchObject({ skipped: true });
    expect(parseBar('[2026-08-04T10:00:00Z INFO ] Connecting...')).toBeNull();
  });

  it('splits a pty stream into lines and bar frames, taking a frame before its line ends', () => {
    const lines: string[] = [];
    const frames: BarFrame[] = [];
    const s = new OutputSplitter((l) => lines.push(l), (f) => frames.push(f));
    s.push('\x1b[2m[\x1b[0m2026-08-04T10:00:00Z \x1b[32mINFO \x1b[0m\x1b[2m]\x1b[0m Serial port: \'/dev/ttyACM0\'\r\n[2026-08-04T10:00:00Z INFO ] Conn');
    s.push('ecting...\r\nChip type:         esp32c3 (revision v0.4)\r\n');
    s.push('\r\x1b[2K[00:00:00] [>                                       ]       0/10      0x10000 ');
    expect(frames.map((f) => f.pos)).toEqual([0]);
    s.push('\r\x1b[2K[00:00:00] [====================>                   ]       5/10      0x10000 \r\x1b[2K[00:00:01] [========================================]      10/10      0x10000  Verifying... \x1b[32mOK!\x1b[0m\r\n');
    s.push('Error: espflash::timeout\r\n');
    s.end();
    expect(lines).toEqual(["[2026-08-04T10:00:00Z INFO ] Serial port: '/dev/ttyACM0'", '[2026-08-04T10:00:00Z INFO ] Connecting...', 'Chip type:         esp32c3 (revision v0.4)', 'Error: espflash::timeout']);
    expect(frames.map((f) => [f.pos, f.percent, f.verifying])).toEqual([
      [0, 0, false],
      [5, 50, false],
      [10, 100, true],
    ]);
  });

  it('separates a report printed right after a bar', () => {
    const lines: string[] = [];
    const s = new OutputSplitter((l) => lines.push(l), () => {});
    s.push('[00:00:00] [>                                       ]       1/405     0x10000 Error: espflash::timeout\n');
    expect(lines).toEqual(['Error: espflash::timeout']);
  });

  it('reads miette reports in unicode and ASCII, joining wrapped lines', () => {
    expect(parseReport(['[x INFO ] Connecting...', 'Error: espflash::connection_failed', '', '  × Error while connecting to device', '  ╰─▶ Failed to connect to the device', '  help: Ensure that the device is connected and the reset and boot pins are', '        not being held down'])).toEqual({
      code: 'espflash::connection_failed',
      message: 'Error while connecting to device',
      causes: ['Failed to connect to the device'],
      help: 'Ensure that the device is connected and the reset and boot pins are not being held down',
      usage: false,
    });
    expect(parseReport(['Error:   x Failed to open serial port /dev/ttyUSB0', '  |-> Error while connecting to device', '  `-> Device or resource busy'])).toEqual({
      message: 'Failed to open serial port /dev/ttyUSB0',
      causes: ['Error while connecting to device', 'Device or resource busy'],
      usage: false,
    });
    expect(parseReport(["error: unexpected argument '--non-interactive' found", '', 'Usage: espflash flash [OPTIONS] <IMAGE>'])).toEqual({ message: "unexpected argument '--non-interactive' found", causes: [], usage: true });
    expect(parseReport(['Chip type: esp32'])).toBeNull();
    expect(stripAnsi('\x1b[31m×\x1b[0m \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\')).toBe('× link');
  });
});
