/**
 * The datagrams of the wifi-udp-download and wifi-udp-upload scenarios (docs/protocol-v1.md,
 * Scenarios): a 16-byte big-endian header, `u32 magic 0x45534231` ('ESB1'), `u32 sequence` (from 0),
 * `u64 send time` (microseconds, sender's clock), then filler up to the datagram's `payload` bytes.
 * The board opens a download with one datagram without that header: JSON `{"id":"..."}`.
 */

/** 'ESB1', the first word of every scenario datagram. */
export const UDP_MAGIC = 0x45534231;
/** Header bytes; a scenario datagram is never shorter. */
export const UDP_HEADER_BYTES = 16;
/** Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP). */
export const UDP_MAX_PAYLOAD = 65507;
/** Longest hello datagram taken as one. */
export const UDP_HELLO_MAX_BYTES = 512;

const TWO_32 = 2 ** 32;

export interface UdpHeader {
  /** u32 sequence number, from 0. */
  seq: number;
  /** u64 send time in microseconds on the sender's clock (exact up to 2^53 µs, ~285 years). */
  sendTimeUs: number;
}

/** Writes the 16-byte header at `offset` of `buf`; returns `buf`. */
export function writeUdpHeader(buf: Buffer, seq: number, sendTimeUs: number, offset = 0): Buffer {
  const us = sendTimeUs > 0 ? Math.floor(sendTimeUs) : 0;
  const hi = Math.floor(us / TWO_32);
  buf.writeUInt32BE(UDP_MAGIC, offset);
  buf.writeUInt32BE(seq >>> 0, offset + 4);
  buf.writeUInt32BE(hi >>> 0, offset + 8);
  buf.writeUInt32BE(us - hi * TWO_32, offset + 12);
  return buf;
}

/** The header of a scenario datagram; null when it is shorter than 16 bytes or lacks the magic. */
export function readUdpHeader(buf: Buffer): UdpHeader | null {
  if (buf.length < UDP_HEADER_BYTES || buf.readUInt32BE(0) !== UDP_MAGIC) return null;
  return { seq: buf.readUInt32BE(4), sendTimeUs: buf.readUInt32BE(8) * TWO_32 + buf.readUInt32BE(12) };
}

/** A whole datagram of `payloadBytes` (at least the header), zero filler. */
export function encodeUdpDatagram(seq: number, sendTimeUs: number, payloadBytes: number): Buffer {
  return writeUdpHeader(Buffer.alloc(Math.max(payloadBytes, UDP_HEADER_BYTES)), seq, sendTimeUs);
}

/** The board's download hello, `{"id":"..."}`. */
export function encodeUdpHello(id: string): Buffer {
  return Buffer.from(JSON.stringify({ id }), 'utf8');
}

/** The run id of a hello datagram; null for anything else (scenario datagrams, other JSON, junk). */
export function parseUdpHello(buf: Buffer): string | null {
  if (buf.length === 0 || buf.length > UDP_HELLO_MAX_BYTES) return null;
  if (buf.length >= 4 && buf.readUInt32BE(0) === UDP_MAGIC) return null;
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { id?: unknown }).id === 'string') {
      return (v as { id: string }).id;
    }
  } catch {
    // not JSON
  }
  return null;
}
