import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectBoardSocket, connectErrorName } from './tcp.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe('connectBoardSocket', () => {
  it('maps OS errors onto embassy-net ConnectError names', () => {
    expect(connectErrorName(errno('ECONNREFUSED'))).toBe('ConnectionReset');
    expect(connectErrorName(errno('ECONNRESET'))).toBe('ConnectionReset');
    expect(connectErrorName(errno('ETIMEDOUT'))).toBe('TimedOut');
    expect(connectErrorName(errno('ENETUNREACH'))).toBe('NoRoute');
    expect(connectErrorName(errno('EADDRNOTAVAIL'))).toBe('NoRoute');
  });

  it('reports a refused connect as ConnectionReset', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const outcome = await connectBoardSocket('127.0.0.1', port, '127.0.0.2', 10_000, new AbortController().signal);
    expect(outcome).toEqual({ ok: false, error: 'ConnectionReset' });
  });

  it('connects from the board address and reads at most 1024 bytes at a time', async () => {
    let peer = '';
    const server = net.createServer((socket) => {
      peer = socket.remoteAddress ?? '';
      socket.on('error', () => {});
      socket.write(Buffer.alloc(10_000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const outcome = await connectBoardSocket('127.0.0.1', port, '127.0.0.5', 10_000, new AbortController().signal);
    if (!outcome.ok) throw new Error(outcome.error);
    const reads: number[] = [];
    outcome.conn.claim((bytes) => {
      reads.push(bytes);
      return true;
    });
    outcome.conn.socket.resume();
    while (reads.reduce((a, b) => a + b, 0) < 10_000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(peer).toBe('127.0.0.5');
    expect(Math.max(...reads)).toBeLessThanOrEqual(1024);
    outcome.conn.abort();
    server.close();
  });

  it('rejects with the abort reason when aborted while connecting', async () => {
    const controller = new AbortController();
    const pending = connectBoardSocket('127.0.0.1', 9, '127.0.0.2', 10_000, controller.signal);
    controller.abort(new Error('power off'));
    await expect(pending).rejects.toThrow('power off');
  });
});
