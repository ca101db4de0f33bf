import { describe, expect, it } from 'vitest';
import { GARBAGE_LONG_LINE_BYTES, garbageBytes } from './garbage.js';
import { createRng } from './rng.js';

describe('garbageBytes', () => {
  it('has NULs, invalid UTF-8 and a line longer than 64 KiB, and ends with the line terminator', () => {
    const bytes = garbageBytes(createRng(7), '\r\n');
    expect(bytes.includes(0)).toBe(true);
    expect(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)).toBe(false);
    expect(bytes.subarray(-2).toString()).toBe('\r\n');
    const longest = Math.max(...bytes.toString('latin1').split(/\r?\n/).map((l) => l.length));
    expect(longest).toBeGreaterThanOrEqual(GARBAGE_LONG_LINE_BYTES);
    expect(GARBAGE_LONG_LINE_BYTES).toBeGreaterThan(64 * 1024);
  });

  it('is reproducible for a seed', () => {
    expect(garbageBytes(createRng(3), '\n').equals(garbageBytes(createRng(3), '\n'))).toBe(true);
  });
});
