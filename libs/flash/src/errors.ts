/**
 * Why flashing did not happen or did not finish.
 *
 * - `missing`: no usable espflash (not on PATH, not executable, not espflash, or older than 3.0).
 * - `image`: the file is not something espflash can flash (missing, not an ELF or ESP image, an ELF
 *   without the app descriptor espflash 4 requires, ...).
 * - `chip-mismatch`: the image was built for another chip than the board has.
 * - `connect`: espflash could not open the port or talk to the board's ROM bootloader.
 * - `failed`: anything after connecting (timeouts while writing, verification) or an espflash that
 *   refused the arguments.
 *
 * The message is one line and says how to fix it.
 */
export type FlashErrorKind = 'missing' | 'image' | 'chip-mismatch' | 'connect' | 'failed';

export interface FlashErrorDetails {
  /** The serial port being flashed, when there was one. */
  port?: string;
  /** espflash's diagnostic code, e.g. `espflash::connection_failed`. */
  code?: string;
  /** espflash's own message (and causes), when it printed one. */
  detail?: string;
  /** The chip the image (or the caller) wanted and the one espflash found, for `chip-mismatch`. */
  expected?: string;
  detected?: string;
  /** espflash's exit code, when it ran. */
  exitCode?: number | null;
  /** The command line that ran, for doing it again by hand. */
  command?: string[];
  /** espflash's last output lines (ANSI codes removed). */
  output?: string[];
}

export class FlashError extends Error {
  override readonly name = 'FlashError';
  readonly kind: FlashErrorKind;
  readonly details: FlashErrorDetails;

  constructor(kind: FlashErrorKind, message: string, details: FlashErrorDetails = {}) {
    super(message);
    this.kind = kind;
    this.details = details;
  }
}

/** Thrown by flashImage/flashBoards when their signal aborts; espflash has been stopped. */
export class FlashAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(port?: string) {
    super(port ? `flashing ${port} was interrupted` : 'flashing was interrupted');
  }
}

export const INSTALL_HINT = 'install it with `cargo install espflash --locked` (or `cargo binstall espflash`, or a release binary from https://github.com/esp-rs/espflash/releases)';
