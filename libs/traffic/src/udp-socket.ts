import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ListenError, PortInUseError } from './errors.js';

/**
 * A bound UDP socket: udp6 (dual-stack) for an IPv6 listen address, udp4 otherwise. A taken port
 * rejects with PortInUseError, another bind failure with ListenError; port 0 picks a free port.
 */
export function bindUdp(host: string, port: number): Promise<Socket> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new RangeError(`port must be an integer 0..65535, got ${port}`));
  }
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', ipv6Only: false });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      socket.off('listening', onListening);
      try {
        socket.close();
      } catch {
        // never bound
      }
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(port, host));
      else reject(new ListenError(err.code ?? 'error', port, host, err));
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve(socket);
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ port, address: host, exclusive: true });
  });
}

/** Sets a socket buffer size; the kernel may grant less (Linux caps at net.core.{r,w}mem_max). Returns the size in effect. */
export function trySetBufferSize(socket: Socket, which: 'recv' | 'send', bytes: number | undefined): number {
  try {
    if (bytes !== undefined) {
      if (which === 'recv') socket.setRecvBufferSize(bytes);
      else socket.setSendBufferSize(bytes);
    }
  } catch {
    // keep the default
  }
  try {
    return which === 'recv' ? socket.getRecvBufferSize() : socket.getSendBufferSize();
  } catch {
    return 0;
  }
}

export function checkPositive(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${v}`);
}
