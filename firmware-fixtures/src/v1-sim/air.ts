import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The loopback "air" between simulated boards. A peripheral that is running a BLE scenario listens on a
 * TCP port on 127.0.0.1 and writes that port (decimal, one line) to `<air dir>/<address>` (the BLE address,
 * lower case, `:` replaced by `-`); a central reads the file of its `peer` and connects.
 */
export function defaultAirDir(): string {
  return path.join(os.tmpdir(), 'espbench-ble-air');
}

export function airFile(dir: string, address: string): string {
  return path.join(dir, address.toLowerCase().replaceAll(':', '-'));
}

export async function registerPeripheral(dir: string, address: string, port: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = airFile(dir, address);
  const tmp = `${file}.${process.pid}.${port}.tmp`;
  await writeFile(tmp, `${port}\n`);
  await rename(tmp, file);
}

/** Removes the registration if it still holds `port` (a newer registration of the address is left alone). */
export async function unregisterPeripheral(dir: string, address: string, port: number): Promise<void> {
  const file = airFile(dir, address);
  try {
    if ((await readFile(file, 'utf8')).trim() === String(port)) await unlink(file);
  } catch {
    // Already gone.
  }
}

export async function lookupPeripheral(dir: string, address: string): Promise<number | null> {
  try {
    const port = Number((await readFile(airFile(dir, address), 'utf8')).trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

/**
 * Frames on an air connection: u8 type, u16 big-endian body length, body. The central opens with HELLO
 * (JSON), the peripheral answers ACCEPT (JSON, the negotiated link) or REJECT (JSON reason); then both send
 * CAPACITY (JSON `{"cap": bytes/s}`) whenever their own capacity changes, the sender sends DATA frames
 * (one per packet, body = payload), and whoever ends the run first sends END before closing (a sender's
 * END carries JSON `{"ms": its transfer time}`, which the receiver reports as its own). A connection that
 * closes without END is a dropped link.
 */
export const FRAME = {
  hello: 0x48,
  accept: 0x41,
  reject: 0x58,
  capacity: 0x43,
  data: 0x44,
  end: 0x45,
} as const;
export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export function encodeFrame(type: number, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const frame = Buffer.alloc(3 + bytes.length);
  frame[0] = type;
  frame.writeUInt16BE(bytes.length, 1);
  bytes.copy(frame, 3);
  return frame;
}

export function jsonFrame(type: number, value: unknown): Buffer {
  return encodeFrame(type, JSON.stringify(value));
}

export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (type: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    while (this.buffered.length - offset >= 3) {
      const length = this.buffered.readUInt16BE(offset + 1);
      if (this.buffered.length - offset < 3 + length) break;
      const type = this.buffered[offset] as number;
      const body = this.buffered.subarray(offset + 3, offset + 3 + length);
      offset += 3 + length;
      this.onFrame(type, body);
    }
    this.buffered = offset === this.buffered.length ? Buffer.alloc(0) : Buffer.from(this.buffered.subarray(offset));
  }
}

export function parseJsonBody(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
