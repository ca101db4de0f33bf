import net from 'node:net';
import { IO_BUFFER_SIZE } from './firmware.js';

/** embassy-net's `ConnectError` variants the simulator can report. */
export type ConnectErrorName = 'ConnectionReset' | 'TimedOut' | 'NoRoute';

/**
 * The board's one TCP socket (the firmware reuses a single `TcpSocket`). Reads go through a fixed
 * 1024-byte buffer, so no read returns more than the firmware's IO buffer.
 */
export class BoardSocket {
  readonly socket: net.Socket;
  private reader: ((bytes: number) => boolean) | null = null;
  private unclaimed = 0;

  constructor(host: string, port: number, localAddress: string) {
    this.socket = net.connect({
      host,
      port,
      localAddress,
      // smoltcp keeps sending after the peer's FIN; the firmware never closes, it aborts.
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: Buffer.alloc(IO_BUFFER_SIZE), callback: (bytes) => this.deliver(bytes) },
    });
    // Errors are reported through the test phase while one runs; afterwards they are of no interest.
    this.socket.on('error', () => {});
  }

  /** Installs the reader and hands it the bytes that arrived before it was installed. */
  claim(reader: (bytes: number) => boolean): number {
    this.reader = reader;
    const bytes = this.unclaimed;
    this.unclaimed = 0;
    return bytes;
  }

  /** `socket.abort()`: drop the connection with an RST. */
  abort(): void {
    this.reader = null;
    if (this.socket.destroyed) return;
    try {
      this.socket.resetAndDestroy();
    } catch {
      this.socket.destroy();
    }
  }

  private deliver(bytes: number): boolean {
    if (this.reader) return this.reader(bytes);
    this.unclaimed += bytes;
    this.socket.pause();
    return false;
  }
}

export type ConnectOutcome = { ok: true; conn: BoardSocket } | { ok: false; error: ConnectErrorName };

/** How embassy-net would report a failed connect, from the host OS's errno. */
export function connectErrorName(err: NodeJS.ErrnoException): ConnectErrorName {
  switch (err.code) {
    case 'ETIMEDOUT':
      return 'TimedOut';
    case 'EADDRNOTAVAIL':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'NoRoute';
    default:
      return 'ConnectionReset';
  }
}

/** Connects from `localAddress` with the firmware's 10 s socket timeout. Rejects only on abort. */
export function connectBoardSocket(
  host: string,
  port: number,
  localAddress: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ConnectOutcome> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const conn = new BoardSocket(host, port, localAddress);
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      conn.socket.off('connect', onConnect);
      conn.socket.off('error', onError);
    };
    const onConnect = (): void => {
      settle();
      resolve({ ok: true, conn });
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      settle();
      conn.socket.destroy();
      resolve({ ok: false, error: connectErrorName(err) });
    };
    const onAbort = (): void => {
      settle();
      conn.abort();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      settle();
      conn.socket.destroy();
      resolve({ ok: false, error: 'TimedOut' });
    }, timeoutMs);
    conn.socket.once('connect', onConnect);
    conn.socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
