import type { Rng } from './rng.js';
import { randomInt } from './rng.js';

/** Longer than the 64 KiB a line reader may assume. */
export const GARBAGE_LONG_LINE_BYTES = 70_000;

/**
 * Line noise for the `garbage` fault: random bytes with NULs and invalid UTF-8, then one line longer than
 * 64 KiB, each ended with `eol` so the firmware's next line starts clean.
 */
export function garbageBytes(rng: Rng, eol: string): Buffer {
  const noise = Buffer.alloc(512);
  for (let i = 0; i < noise.length; i++) noise[i] = randomInt(rng, 0, 255);
  // Make the awkward cases certain rather than likely: NUL, a lone continuation byte, an overlong lead
  // byte, a truncated 3-byte sequence, and bytes that never occur in UTF-8.
  Buffer.from([0x00, 0x80, 0xc0, 0xaf, 0xe2, 0x82, 0x00, 0xfe, 0xff, 0x00]).copy(noise, 100);

  const long = Buffer.alloc(GARBAGE_LONG_LINE_BYTES);
  for (let i = 0; i < long.length; i++) {
    const r = rng();
    long[i] = r < 0.01 ? 0x00 : r < 0.02 ? 0xff : r < 0.03 ? 0xc3 : randomInt(rng, 0x20, 0x7e);
  }
  return Buffer.concat([noise, Buffer.from(eol), long, Buffer.from(eol)]);
}
