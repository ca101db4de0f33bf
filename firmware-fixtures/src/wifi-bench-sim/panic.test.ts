import { describe, expect, it } from 'vitest';
import { NO_BACKTRACE_NOTE, panicLines, simulatedPanic } from './panic.js';
import { createRng } from './rng.js';

describe('panicLines', () => {
  it('prints esp-backtrace’s block with the colors feature', () => {
    expect(
      panicLines({ location: 'src/bin/x.rs:10:5', message: 'boom', frames: [0x42001234, 0x42005678], arch: 'riscv', colors: true }),
    ).toEqual([
      '\u001b[31m',
      '',
      '====================== PANIC ======================',
      'panicked at src/bin/x.rs:10:5:',
      'boom',
      '\u001b[0m',
      '',
      'Backtrace:',
      '',
      '0x42001234',
      '0x42005678',
      '',
      '',
      '',
    ]);
  });

  it('prints the frame-pointer note on RISC-V when there are no frames, and no escapes without colors', () => {
    const lines = panicLines({ location: 'a.rs:1:1', message: 'm', frames: [], arch: 'riscv', colors: false });
    expect(lines).toContain(NO_BACKTRACE_NOTE);
    expect(lines.join('')).not.toContain('\u001b');
    expect(panicLines({ location: 'a.rs:1:1', message: 'm', frames: [], arch: 'xtensa', colors: false })).not.toContain(
      NO_BACKTRACE_NOTE,
    );
  });
});

describe('simulatedPanic', () => {
  it('points Xtensa ESP32 frames at 0x400dxxxx and RISC-V frames at 0x4200xxxx', () => {
    for (let seed = 0; seed < 20; seed++) {
      const xtensa = simulatedPanic('esp32', 'upload', 1, true, createRng(seed));
      expect(xtensa.frames.length).toBeGreaterThanOrEqual(3);
      expect(xtensa.frames.every((pc) => pc.toString(16).startsWith('400d') && pc < 0x400e0000)).toBe(true);
      const riscv = simulatedPanic('esp32c3', 'download', 2, false, createRng(seed));
      expect(riscv.frames.every((pc) => pc >= 0x42000000 && pc < 0x42010000)).toBe(true);
      expect(riscv.message).toBe('espbench simulated panic (fault panic@2:download)');
    }
  });

  it('sometimes has no frames on RISC-V, depending on the seed', () => {
    const empties = Array.from({ length: 50 }, (_, seed) => simulatedPanic('esp32c6', 'updown', 1, false, createRng(seed)))
      .filter((p) => p.frames.length === 0).length;
    expect(empties).toBeGreaterThan(0);
    expect(empties).toBeLessThan(25);
  });
});
