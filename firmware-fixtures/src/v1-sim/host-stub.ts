import dgram from 'node:dgram';
import net from 'node:net';
import { decodeDatagramHeader, enlargeRecvBuffer } from './wifi-udp.js';

/**
 * Minimal stand-ins for espbench's host endpoints, for tests of the simulator and of code driving it:
 * a TCP `sink` (reads and counts, like the upload endpoint), `source` (writes zeros as fast as it can, like
 * the download endpoint) or `echo`, and a UDP counter that records registrations and ESB1 datagrams.
 */

export interface TcpStubConnection {
  remoteAddress: string;
  acceptedAt: number;
  closedAt: number | null;
  rxBytes: number;
  txBytes: number;
  /** [performance.now(), bytes] per received chunk. */
  rxLog: Array<[number, number]>;
}

export interface TcpStub {
  port: number;
  connections: TcpStubConnection[];
  close(): Promise<void>;
}

export async function startTcpStub(kind: 'sink' | 'source' | 'echo', host = '127.0.0.1'): Promise<TcpStub> {
  const connections: TcpStubConnection[] = [];
  const sockets = new Set<net.Socket>();
  const zeros = Buffer.alloc(16 * 1024);
  const server = net.createServer((socket) => {
    const conn: TcpStubConnection = {
      remoteAddress: socket.remoteAddress ?? '',
      acceptedAt: performance.now(),
      closedAt: null,
      rxBytes: 0,
      txBytes: 0,
      rxLog: [],
    };
    connections.push(conn);
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closedAt = performance.now();
      sockets.delete(socket);
    });
    socket.on('data', (data: Buffer) => {
      conn.rxBytes += data.length;
      conn.rxLog.push([performance.now(), data.length]);
      if (kind === 'echo' && socket.writable) {
        conn.txBytes += data.length;
        socket.write(data);
      }
    });
    if (kind === 'source') {
      const fill = (): void => {
        while (socket.writable && !socket.destroyed) {
          conn.txBytes += zeros.length;
          if (!socket.write(zeros)) break;
        }
      };
      socket.on('drain', fill);
      fill();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface UdpStubDatagram {
  seq: number;
  length: number;
  from: string;
  at: number;
}

export interface UdpStub {
  port: number;
  socket: dgram.Socket;
  /** `{"id": ...}` registrations (wifi-udp-download), with where they came from. */
  registrations: Array<{ id: string; address: string; port: number }>;
  datagrams: UdpStubDatagram[];
  close(): Promise<void>;
}

export async function startUdpStub(host = '127.0.0.1'): Promise<UdpStub> {
  const socket = dgram.createSocket('udp4');
  const registrations: UdpStub['registrations'] = [];
  const datagrams: UdpStubDatagram[] = [];
  socket.on('message', (msg, rinfo) => {
    const header = decodeDatagramHeader(msg);
    if (header) {
      datagrams.push({ seq: header.seq, length: msg.length, from: rinfo.address, at: performance.now() });
      return;
    }
    try {
      const body = JSON.parse(msg.toString('utf8')) as { id?: unknown };
      if (typeof body.id === 'string') registrations.push({ id: body.id, address: rinfo.address, port: rinfo.port });
    } catch {
      // Not ours.
    }
  });
  await new Promise<void>((resolve) => socket.bind({ address: host, port: 0 }, resolve));
  enlargeRecvBuffer(socket);
  return {
    port: socket.address().port,
    socket,
    registrations,
    datagrams,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
