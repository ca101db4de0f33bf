import type { ChipName } from './chips.js';
import type { TestPhase } from './firmware.js';

/**
 * `legacy`: the bench's serial lines while it printed `Device capabilities: ...`, `Wifi started!` and
 * `Wifi connected!` (esp-wifi days through esp-radio, until esp-hal commit e4edadcae, Jan 2026).
 * `current`: the lines listed in shared/design/upstream.md (`Wifi configured and started!`,
 * `Wifi connected to <Debug>`), which is what esp-hal's main branch prints since Feb 2026.
 */
export const VARIANTS = ['current', 'legacy'] as const;
export type Variant = (typeof VARIANTS)[number];

export const EOL_MODES = ['board', 'crlf', 'lf'] as const;
export type EolMode = (typeof EOL_MODES)[number];

export const FAULT_KINDS = ['reset', 'panic', 'connect-error', 'garbage', 'stall'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault injected into test `phase` of round `round` (1-based, counted across reboots). */
export interface Fault {
  kind: FaultKind;
  round: number;
  phase: TestPhase;
}

export interface SimOptions {
  chip: ChipName;
  /** Pacing of each test, bytes per second. */
  rates: Record<TestPhase, number>;
  /** Seconds each test runs (upstream TEST_DURATION). */
  durationS: number;
  /** Seconds between rounds (upstream 10). */
  pauseS: number;
  /** Seconds from the ROM banner to `Got IP`. */
  bootS: number;
  /** Board source address, in 127.0.0.0/8. */
  ip: string;
  /** Rounds after which the board idles; null = forever. */
  rounds: number | null;
  variant: Variant;
  seed: number;
  faults: Fault[];
  /** How long a `stall` fault lasts; null = forever. */
  stallS: number | null;
  /** Wrap panic blocks in ANSI colours (esp-backtrace's default `colors` feature). */
  colors: boolean;
  /**
   * Line terminators. `board`: as a real board, `\r\n` from the ROM and the ESP-IDF bootloader (the ROM's
   * putc adds the `\r`) and a bare `\n` from the app (esp-println writes `\n` only). `crlf` / `lf`: one
   * terminator for every line.
   */
  eol: EolMode;
}

export const DEFAULT_RATE = 1_000_000;

export const DEFAULT_OPTIONS: Omit<SimOptions, 'chip'> = {
  rates: { download: DEFAULT_RATE, upload: DEFAULT_RATE, updown: DEFAULT_RATE },
  durationS: 15,
  pauseS: 10,
  bootS: 0.3,
  ip: '127.0.0.2',
  rounds: null,
  variant: 'current',
  seed: 1,
  faults: [],
  stallS: null,
  colors: true,
  eol: 'board',
};
