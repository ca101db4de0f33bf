import type { Socket } from 'node:net';
import { monoMs } from './clock.js';
import { readIntoBuffers, setReadBuffer, userBuffersSupported } from './user-buffer.js';

/** Raw counters a pump updates; nothing here is per byte. */
export class Counters {
  /** Bytes whose write completed (in the kernel). */
  txDone = 0;
  rx = 0;
  /** Monotonic ms of the last read. */
  lastRxMs = 0;
}

export interface PumpOptions {
  /** Size of the zero buffer written over and over by download. */
  writeChunkBytes: number;
  /** Size of each echo buffer; up to echoBuffers of them are in flight. */
  echoChunkBytes: number;
  echoBuffers: number;
}

export const DEFAULT_PUMP_OPTIONS: PumpOptions = { writeChunkBytes: 256 * 1024, echoChunkBytes: 256 * 1024, echoBuffers: 4 };

// Shared by every connection: the bytes read are never looked at, and the zero buffer is only read.
let sinkBuffer: Buffer | null = null;
const zeroBuffers = new Map<number, Buffer>();

// 128 KiB measured best on loopback across 1 and 8 connections: smaller buffers cost more reads with
// many connections, larger ones make a single fast sender slower (more wake-ups of the reader).
function sink(): Buffer {
  return (sinkBuffer ??= Buffer.allocUnsafeSlow(128 * 1024));
}

function zeros(size: number): Buffer {
  let b = zeroBuffers.get(size);
  if (!b) zeroBuffers.set(size, (b = Buffer.alloc(size)));
  return b;
}

/** Read and discard everything. */
export function pumpSink(socket: Socket, c: Counters): void {
  readIntoBuffers(socket, sink(), (n) => {
    c.rx += n;
    c.lastRxMs = monoMs();
  });
}

/** Write zeros for as long as the connection lasts; also sink whatever the peer sends. */
export function pumpDownload(socket: Socket, c: Counters, opts: PumpOptions): void {
  const chunk = zeros(opts.writeChunkBytes);
  // Two writes queued: the next one is handed to the kernel as soon as the previous completes.
  const onWritten = (err?: Error | null) => {
    if (err) return;
    c.txDone += chunk.length;
    if (socket.writable) socket.write(chunk, onWritten);
  };
  socket.write(chunk, onWritten);
  socket.write(chunk, onWritten);
  pumpSink(socket, c);
}

/** Write back what is read; reading pauses while all echo buffers wait to be written. */
export function pumpEcho(socket: Socket, c: Counters, opts: PumpOptions): void {
  if (!userBuffersSupported()) {
    socket.on('data', (chunk: Buffer) => {
      c.rx += chunk.length;
      c.lastRxMs = monoMs();
      if (!socket.write(chunk, (err) => { if (!err) c.txDone += chunk.length; })) socket.pause();
    });
    socket.on('drain', () => socket.resume());
    socket.resume();
    return;
  }
  const free: Buffer[] = [];
  for (let i = 0; i < opts.echoBuffers; i++) free.push(Buffer.allocUnsafeSlow(opts.echoChunkBytes));
  // Writes complete in order, so in-flight buffers form a queue.
  const inflight: Buffer[] = [];
  const lengths: number[] = [];
  let paused = false;
  const onWritten = (err?: Error | null) => {
    const buf = inflight.shift()!;
    const n = lengths.shift()!;
    if (err) return;
    c.txDone += n;
    free.push(buf);
    if (paused && !socket.destroyed) {
      paused = false;
      setReadBuffer(socket, free.pop()!);
      socket.resume();
    }
  };
  const onRead = (n: number, buf: Buffer): boolean => {
    c.rx += n;
    c.lastRxMs = monoMs();
    inflight.push(buf);
    lengths.push(n);
    socket.write(buf.subarray(0, n), onWritten);
    if (free.length > 0) return true;
    paused = true;
    return false;
  };
  readIntoBuffers(socket, free.pop()!, onRead, () => free.pop()!);
}
