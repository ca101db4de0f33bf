import net from 'node:net';
import { LinkError } from './errors.js';
import { LineLink } from './link.js';

/** Raw serial over TCP, as ser2net (or esp-link, or `socat TCP-LISTEN ... /dev/ttyUSB0`) serves it. */
export class TcpLink extends LineLink {
  readonly kind = 'tcp' as const;
  private socket: net.Socket | null = null;

  constructor(
    uri: string,
    readonly host: string,
    readonly port: number,
  ) {
    super(uri);
  }

  async open(): Promise<void> {
    const socket = net.connect({ host: this.host, port: this.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) =>
        reject(new LinkError('connect-failed', `cannot connect to ${this.uri}: ${err.message}; is ser2net running there?`)),
      );
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.ended(`${this.uri}: ${err.message}`));
    socket.on('close', () => this.ended(`${this.uri} closed the connection`));
  }

  write(data: string | Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new LinkError('closed', `${this.uri} is not connected`));
    return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  protected async doClose(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}
