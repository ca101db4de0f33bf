import { SerialPort } from 'serialport';
import { LinkError } from './errors.js';
import { LineLink } from './link.js';

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

export class SerialLink extends LineLink {
  readonly kind = 'serial' as const;
  private port: SerialPort | null = null;

  constructor(
    uri: string,
    readonly path: string,
    readonly baudRate: number,
  ) {
    super(uri);
  }

  async open(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false, lock: true });
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

  protected async doClose(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
