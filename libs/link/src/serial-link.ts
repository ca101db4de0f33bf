import { realpathSync } from 'node:fs';
import { SerialPort, type SerialPortOpenOptions } from 'serialport';
import { adapterFor, type SerialPortInfo } from './adapters.js';
import { LinkError } from './errors.js';
import { LineLink, type ReopenOptions } from './link.js';
import { applyResetSequence, hardResetSequence, ResetStepError, isNoModemControl, isPtyPath, resetKindFor, type ResetOutcome } from './reset.js';

/** Turn serialport's open errors into one-line messages with the fix. */
export function serialOpenError(path: string, err: Error): LinkError {
  const msg = err.message;
  if (/ENOENT|No such file|cannot find|File not found/i.test(msg)) {
    return new LinkError('no-such-port', `serial port ${path} does not exist; list ports with: espbench devices`);
  }
  if (/EACCES|Permission denied|Access denied/i.test(msg)) {
    return new LinkError(
      'permission-denied',
      `permission denied opening ${path}; add yourself to the dialout group (sudo usermod -aG dialout $USER) and log in again`,
    );
  }
  if (/lock|busy|EBUSY|EAGAIN|temporarily unavailable/i.test(msg)) {
    return new LinkError(
      'port-busy',
      `serial port ${path} is busy; close the program holding it (espflash monitor, screen, minicom, an IDE) and retry`,
    );
  }
  return new LinkError('connect-failed', `cannot open serial port ${path}: ${msg}`);
}

/**
 * serialport's SerialBinding, structurally (the `@serialport/bindings-interface` types do not
 * resolve under NodeNext): `SerialPort.binding`, `SerialPortMock.binding` or a wrapper of either.
 */
export interface SerialBinding {
  list(): Promise<{ path: string; vendorId?: string; productId?: string; serialNumber?: string; manufacturer?: string }[]>;
  open(options: never): Promise<unknown>;
}

export interface SerialLinkOptions {
  /**
   * The serialport binding (default: the platform's, as `SerialPort` picks it). Tests pass a binding
   * that records what is asked of the port and delegates to a real or mock binding.
   */
  binding?: SerialBinding;
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The listing entry of `path` (symlinks such as /dev/serial/by-id/... resolved), or null. */
export async function findPortInfo(path: string, binding: SerialBinding = SerialPort.binding): Promise<SerialPortInfo | null> {
  const ports = await binding.list();
  const want = realPath(path);
  const p = ports.find((x) => x.path === path || realPath(x.path) === want);
  if (!p) return null;
  const { vidPid, adapter } = adapterFor(p.vendorId, p.productId);
  return { path: p.path, vidPid, serialNumber: p.serialNumber ?? null, manufacturer: p.manufacturer ?? null, adapter };
}

export class SerialLink extends LineLink {
  readonly kind = 'serial' as const;
  private port: SerialPort | null = null;
  private readonly binding: SerialBinding;

  constructor(
    uri: string,
    readonly path: string,
    readonly baudRate: number,
    private readonly options: SerialLinkOptions = {},
  ) {
    super(uri);
    this.binding = options.binding ?? SerialPort.binding;
  }

  async open(): Promise<void> {
    const settings = { path: this.path, baudRate: this.baudRate, autoOpen: false, lock: true, binding: this.binding };
    // SerialPort takes a `binding` (it spreads the options over its detected one); its type hides it.
    const port = new SerialPort(settings as unknown as SerialPortOpenOptions<typeof SerialPort.binding>);
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(serialOpenError(this.path, err)) : resolve()));
    });
    this.port = port;
    port.on('data', (chunk: Buffer) => this.receive(chunk));
    port.on('error', (err: Error) => this.ended(`serial error on ${this.path}: ${err.message}`));
    port.on('close', (err?: { disconnected?: boolean } | null) =>
      this.ended(err?.disconnected ? `serial port ${this.path} disconnected` : `serial port ${this.path} closed`),
    );
  }

  write(data: string | Buffer): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new LinkError('closed', `serial port ${this.path} is not open`));
    return new Promise((resolve, reject) => port.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** The port's USB identity from the system's listing (udevadm on Linux); null when not listed or not listable. */
  override async identify(): Promise<SerialPortInfo | null> {
    try {
      return await findPortInfo(this.path, this.binding);
    } catch {
      return null;
    }
  }

  /**
   * Hard reset into the application: the USB-Serial-JTAG sequence for 303a:1001, the UART bridge
   * one otherwise (see reset.ts). A pty, or a port whose driver has no modem control, is not reset.
   */
  override async reset(): Promise<ResetOutcome> {
    const port = this.port;
    if (!port?.isOpen) return { done: false, reason: `serial port ${this.path} is not open` };
    if (isPtyPath(this.path)) return { done: false, reason: `${this.path} is a pseudo terminal, which has no DTR/RTS lines to reset the board with` };
    const kind = resetKindFor((await this.identify())?.vidPid);
    try {
      await applyResetSequence(port, hardResetSequence(kind));
      return { done: true, kind };
    } catch (err) {
      const cause = err instanceof ResetStepError ? err.cause : (err as Error);
      return isNoModemControl(cause)
        ? { done: false, reason: `${this.path} cannot set DTR/RTS (${cause.message.replace(/\s+/g, ' ')}), so it cannot reset the board` }
        : { done: false, reason: `resetting ${this.path} failed: ${(err as Error).message.replace(/\s+/g, ' ')}` };
    }
  }

  override get reopenable(): boolean {
    return true;
  }

  /**
   * After an unplug: poll until the path opens again (and, with `serialNumber`, holds a board with
   * that USB serial number), then return a new open link to it.
   */
  override async reopen(opts: ReopenOptions): Promise<SerialLink> {
    const deadline = Date.now() + opts.timeoutMs;
    const pollMs = opts.pollMs ?? 250;
    let last: LinkError | null = null;
    let stranger: string | null | undefined;
    for (;;) {
      if (opts.signal?.aborted) throw new LinkError('closed', `waiting for ${this.path} to come back was interrupted`);
      const link = new SerialLink(this.uri, this.path, this.baudRate, this.options);
      try {
        await link.open();
        const info = opts.serialNumber ? await link.identify() : null;
        if (!info || info.serialNumber === opts.serialNumber) return link;
        stranger = info.serialNumber;
        await link.close();
      } catch (err) {
        if (!(err instanceof LinkError)) throw err;
        last = err;
      }
      if (Date.now() + pollMs > deadline) break;
      await sleep(pollMs, opts.signal);
    }
    const why =
      stranger !== undefined
        ? `; a board with USB serial number ${stranger ?? '(none)'} is there instead of ${opts.serialNumber}`
        : last
          ? ` (${last.message})`
          : '';
    throw new LinkError('no-such-port', `serial port ${this.path} did not come back within ${Math.round(opts.timeoutMs / 1000)} s${why}`);
  }

  protected async doClose(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
