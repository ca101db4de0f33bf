import { LinkError, SerialLink, DEFAULT_BAUD, type ResetOutcome, type SerialLinkOptions } from '@espbench/link';
import { BoardParser, v1 } from '@espbench/protocol';

export interface ProbeOptions {
  /** How long to read after the reset, ms. */
  timeMs: number;
  baudRate?: number;
  /** Reset the board first (default true); without it the probe only hears a board that happens to boot. */
  reset?: boolean;
  /** Tests: the serialport binding. */
  link?: SerialLinkOptions;
}

/**
 * What a port said when opened, reset and read for a while. `busy`: another process holds it (the
 * port is locked); `error`: it could not be opened (the message says why and how to fix it).
 */
export type ProbeResult =
  | {
      state: 'ok';
      reset: ResetOutcome;
      /** From the ROM banner (`ESP-ROM:esp32c3-...`, `ets ...` is esp32), or protocol-v1 hello. */
      chip: string | null;
      romVersion: string | null;
      /** `rst:0x1 (POWERON)` -> POWERON. */
      resetReason: string | null;
      bootMode: string | null;
      /** protocol-v1 firmware says its MAC in its hello. */
      mac: string | null;
      lines: number;
    }
  | { state: 'busy'; message: string }
  | { state: 'error'; message: string };

/** Open `path`, reset the board into its application, read its boot output for `timeMs`, release the port. */
export async function probeSerialPort(path: string, opts: ProbeOptions): Promise<ProbeResult> {
  const link = new SerialLink(path, path, opts.baudRate ?? DEFAULT_BAUD, opts.link);
  try {
    await link.open();
  } catch (err) {
    if (!(err instanceof LinkError)) throw err;
    return err.code === 'port-busy' ? { state: 'busy', message: err.message } : { state: 'error', message: err.message };
  }
  const parser = new BoardParser();
  let lines = 0;
  const seen = { chip: null as string | null, romVersion: null as string | null, resetReason: null as string | null, bootMode: null as string | null, mac: null as string | null };
  // The last boot heard wins: what was buffered before the reset belongs to an older one.
  link.on('line', (l) => {
    lines++;
    for (const ev of parser.feed(l.line)) {
      if (ev.type === 'rom') {
        seen.chip = ev.chip ?? seen.chip;
        seen.romVersion = ev.romVersion;
        seen.resetReason = null;
        seen.bootMode = null;
      } else if (ev.type === 'reset') {
        seen.chip = ev.chip ?? seen.chip;
        seen.resetReason = ev.resetReason;
        seen.bootMode = ev.bootMode;
      }
    }
    const p = v1.parseV1Line(l.line);
    if (p?.kind === 'message' && p.message.type === 'hello') {
      seen.mac = p.message.mac;
      seen.chip ??= p.message.chip;
    }
  });
  try {
    const reset: ResetOutcome = opts.reset === false ? { done: false, reason: 'not asked to reset' } : await link.reset();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.timeMs);
      link.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return { state: 'ok', reset, ...seen, lines };
  } finally {
    await link.close().catch(() => {});
  }
}
