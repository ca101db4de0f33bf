import { realpathSync } from 'node:fs';

/**
 * Hard reset into the application (not into the ROM bootloader) through the modem control lines,
 * as esptool and espflash do it after flashing. The behaviour (not the code) comes from:
 *
 * - espressif/esptool `esptool/reset.py` (before its move to esp-pylib) `HardReset`: RTS on (EN low),
 *   100 ms, RTS off; with `uses_usb` (native USB: USB-OTG, and USB-Serial-JTAG on the ESP32-C5)
 *   hold 200 ms and wait 200 ms after release. `_setRTS` re-sends the unchanged DTR (usbser.sys).
 * - esp-rs/espflash `espflash/src/connection/reset.rs` `hard_reset` -> `reset_after_flash(pid)`:
 *   100 ms, then for PID 0x1001 (USB-Serial-JTAG) DTR off, 100 ms, RTS on (DTR off, RTS on again),
 *   100 ms, RTS off; for any other adapter RTS on, 100 ms, RTS off.
 *
 * On the usual two-transistor auto-reset circuit of UART bridge boards, EN is pulled low only while
 * RTS is asserted and DTR is not, and GPIO0 only while DTR is asserted and RTS is not; both lines
 * asserted (what Linux does on open) or both released is idle. So DTR stays released throughout:
 * the chip is held in reset with GPIO0 high and boots its application. serialport's `set()` writes
 * both lines in one TIOCMSET, like esptool's UnixTightReset, so no step passes through a state
 * that is not listed here.
 */
export type ResetKind = 'uart-bridge' | 'usb-serial-jtag';

/** Set the lines, then wait `waitMs` before the next step. `true` = asserted (pyserial's setDTR(True)). */
export interface ResetStep {
  dtr: boolean;
  rts: boolean;
  waitMs: number;
}

export const USB_SERIAL_JTAG_VID_PID = '303a:1001';

/** Which sequence an adapter needs; anything not Espressif's USB-Serial-JTAG is a UART bridge. */
export function resetKindFor(vidPid: string | null | undefined): ResetKind {
  return vidPid?.toLowerCase() === USB_SERIAL_JTAG_VID_PID ? 'usb-serial-jtag' : 'uart-bridge';
}

/** The DTR/RTS states of a hard reset, in order. Pure: the executor is `applyResetSequence`. */
export function hardResetSequence(kind: ResetKind): ResetStep[] {
  if (kind === 'usb-serial-jtag') {
    return [
      // Release DTR first (espflash), then assert RTS alone: the peripheral resets the chip.
      { dtr: false, rts: false, waitMs: 100 },
      // Held 200 ms and 200 ms after release, esptool's native-USB timing (espflash: 100 ms).
      { dtr: false, rts: true, waitMs: 200 },
      { dtr: false, rts: false, waitMs: 200 },
    ];
  }
  return [
    // Idle with DTR released (from Linux's both-asserted state after open: idle to idle).
    { dtr: false, rts: false, waitMs: 0 },
    // EN low, GPIO0 high: in reset, and it will boot from flash.
    { dtr: false, rts: true, waitMs: 100 },
    // EN high: out of reset, into the application.
    { dtr: false, rts: false, waitMs: 0 },
  ];
}

/** What `port.set()` needs: serialport's SerialPort (and SerialPortStream with any binding) has it. */
export interface ModemLines {
  set(options: { dtr?: boolean; rts?: boolean }, callback: (err: Error | null) => void): void;
}

export class ResetStepError extends Error {
  override readonly name = 'ResetStepError';
  constructor(
    readonly step: number,
    override readonly cause: Error,
  ) {
    super(`setting DTR/RTS failed at step ${step + 1}: ${cause.message}`);
  }
}

/** Apply the steps through `port.set({dtr, rts})`, waiting after each. Rejects with ResetStepError. */
export async function applyResetSequence(port: ModemLines, steps: readonly ResetStep[], signal?: AbortSignal): Promise<void> {
  for (const [i, step] of steps.entries()) {
    if (signal?.aborted) throw new ResetStepError(i, new Error('aborted'));
    await new Promise<void>((resolve, reject) =>
      port.set({ dtr: step.dtr, rts: step.rts }, (err) => (err ? reject(new ResetStepError(i, err)) : resolve())),
    );
    if (step.waitMs > 0) await new Promise((r) => setTimeout(r, step.waitMs));
  }
}

/** A pseudo terminal (socat, a container's console): no modem lines, set() fails or does nothing. */
export function isPtyPath(path: string): boolean {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    // A path that does not exist is judged by its name.
  }
  return /^\/dev\/(pts\/\d+|ptmx|tty[p-za-e][0-9a-f])$/.test(real);
}

/** set() errors that mean "this line has no modem control" (esptool treats ENOTTY/EINVAL alike). */
export function isNoModemControl(err: Error): boolean {
  return /ENOTTY|EINVAL|Inappropriate ioctl|Invalid argument|not supported/i.test(err.message);
}

/** How a reset went: `done` false says why it could not be done (a one-line reason). */
export type ResetOutcome = { done: true; kind: ResetKind } | { done: false; reason: string };
