import { CHIPS, type ChipName } from './chips.js';
import type { TestPhase } from './firmware.js';
import { randomInt, type Rng } from './rng.js';

const RED = '\u001b[31m';
const RESET = '\u001b[0m';

export const NO_BACKTRACE_NOTE =
  'No backtrace available - make sure to force frame-pointers. (see https://crates.io/crates/esp-backtrace)';

export interface PanicBlock {
  /** `src/bin/x.rs:10:5` */
  location: string;
  message: string;
  /** Program counters; an empty list on RISC-V prints the frame-pointer note instead. */
  frames: number[];
  arch: 'xtensa' | 'riscv';
  colors: boolean;
}

/**
 * Lines esp-backtrace's panic handler prints: the colour code on a line of its own (feature `colors`),
 * an empty line, the PANIC banner, `PanicInfo`'s Display (`panicked at <location>:` then the message),
 * the colour reset code, the backtrace, then three empty lines from its abort path before it spins.
 */
export function panicLines(block: PanicBlock): string[] {
  const lines: string[] = [];
  if (block.colors) lines.push(RED);
  lines.push('', '====================== PANIC ======================', `panicked at ${block.location}:`, block.message);
  if (block.colors) lines.push(RESET);
  lines.push('', 'Backtrace:', '');
  if (block.frames.length === 0 && block.arch === 'riscv') lines.push(NO_BACKTRACE_NOTE);
  for (const pc of block.frames) lines.push(`0x${pc.toString(16)}`);
  lines.push('', '', '');
  return lines;
}

/** The panic the `panic` fault injects: frames point into the chip's flash-mapped code. */
export function simulatedPanic(chip: ChipName, phase: TestPhase, round: number, colors: boolean, rng: Rng): PanicBlock {
  const profile = CHIPS[chip];
  // RISC-V builds of the bench force frame pointers, so frames are the rule; the note is the exception.
  const noFrames = profile.arch === 'riscv' && rng() < 0.2;
  const count = noFrames ? 0 : randomInt(rng, 3, 8);
  const frames = Array.from({ length: count }, () => profile.codeBase + randomInt(rng, 0x80, 0x7fff) * 2);
  return {
    location: `src/bin/embassy_wifi_bench.rs:${randomInt(rng, 170, 330)}:${randomInt(rng, 5, 40)}`,
    message: `espbench simulated panic (fault panic@${round}:${phase})`,
    frames,
    arch: profile.arch,
    colors,
  };
}
