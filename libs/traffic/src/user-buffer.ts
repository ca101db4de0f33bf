import { Socket } from 'node:net';

/**
 * Node supports reading into a caller-owned buffer (`onread`) only for sockets it constructs from
 * options, not for the ones net.Server accepts. The option is kept in three symbol-keyed fields of
 * the socket; find them once on a probe socket and apply the same fields to accepted sockets.
 */
interface UserBufferKeys {
  buffer: symbol;
  callback: symbol;
  gen: symbol;
}

let keys: UserBufferKeys | null | undefined;

function userBufferKeys(): UserBufferKeys | null {
  if (keys !== undefined) return keys;
  keys = null;
  try {
    const buffer = Buffer.alloc(1);
    const callback = () => {};
    const probe = new Socket({ onread: { buffer, callback } } as ConstructorParameters<typeof Socket>[0]);
    const own = probe as unknown as Record<symbol, unknown>;
    const syms = Object.getOwnPropertySymbols(probe);
    const b = syms.find((s) => own[s] === buffer);
    const c = syms.find((s) => own[s] === callback);
    const g = syms.find((s) => s.description === 'kBufferGen');
    probe.destroy();
    if (b && c && g) keys = { buffer: b, callback: c, gen: g };
  } catch {
    keys = null;
  }
  return keys;
}

interface StreamHandle {
  useUserBuffer?: (buf: Uint8Array) => void;
  reading?: boolean;
}

/** Called with the byte count and the buffer holding them; return false to pause reading. */
export type ReadCallback = (nread: number, buf: Buffer) => boolean | void;

/**
 * Reads an accepted socket (created paused: `pauseOnConnect`) into `first` and, after each
 * callback, into whatever `next()` returns (omit it to reuse one buffer). Falls back to 'data'
 * events where the runtime lacks the mechanism. Resumes the socket.
 */
export function readIntoBuffers(socket: Socket, first: Buffer, callback: ReadCallback, next?: () => Buffer): void {
  const k = userBufferKeys();
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (k && handle && typeof handle.useUserBuffer === 'function') {
    const own = socket as unknown as Record<symbol, unknown>;
    own[k.buffer] = first;
    own[k.callback] = callback;
    own[k.gen] = next ?? null;
    handle.useUserBuffer(first);
  } else {
    socket.on('data', (chunk: Buffer) => {
      if (callback(chunk.length, chunk) === false) socket.pause();
    });
  }
  socket.resume();
}

/** Points the next reads of a paused socket set up by readIntoBuffers at `buf`. */
export function setReadBuffer(socket: Socket, buf: Buffer): void {
  const k = userBufferKeys();
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (!k || !handle || typeof handle.useUserBuffer !== 'function') return;
  (socket as unknown as Record<symbol, unknown>)[k.buffer] = buf;
  handle.useUserBuffer(buf);
}

export function userBuffersSupported(): boolean {
  return userBufferKeys() !== null;
}
